import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { HistoryFigure } from './figures.js';

/** How a figure is judged against the runs before it. */
export interface DetectionOptions {
  /** The baseline: at most this many of the latest runs judged normal (default 10). */
  window: number;
  /** Fewer normal runs than this before a run: it is not judged (default 3). */
  minBaseline: number;
  /** The share of runs of an unchanged setup, with normal noise, that would be called regressions (default 0.001). */
  falseAlarmRate: number;
}

export const defaultDetection: DetectionOptions = { window: 10, minBaseline: 3, falseAlarmRate: 0.001 };

export interface Judged {
  /** Index of the run in the series. */
  index: number;
  value: number;
  /** The baseline it was judged against; absent when there were too few normal runs before it. */
  baseline?: { mean: number; band: number; runs: number };
  regressed: boolean;
}

/** One regression: a run of consecutive judged values past the band, from the run where it began. */
export interface Regression {
  figure: string;
  began: number;
  /** The last run of it; the latest run of the series when it is still open. */
  last: number;
  open: boolean;
  baselineMean: number;
  /** The value at the run where it began. */
  value: number;
}

/**
 * How far past the baseline's mean the next run of the same setup may land: the one-sided
 * prediction interval of a normal sample, t(1 − rate, n − 1) · s · √(1 + 1/n), which holds its
 * false-alarm rate however few the runs and however noisy the figure; at least the figure's floor.
 */
function band(values: number[], figure: HistoryFigure, options: DetectionOptions): { mean: number; band: number } {
  const n = values.length;
  const m = mean(values);
  const spread = tQuantile(1 - options.falseAlarmRate, n - 1) * sampleStandardDeviation(values) * Math.sqrt(1 + 1 / n);
  return { mean: m, band: Math.max(spread, figure.noise.relative * Math.abs(m), figure.noise.absolute) };
}

/**
 * Each value against the prediction interval of the normal runs before it, at least the
 * figure's noise floor wide. A value past it, the worse way, is regressed and stays out of
 * later baselines, so a lasting shift stays flagged until the baseline is restarted
 * (`--since`) instead of becoming the new normal.
 */
export function judgeSeries(values: (number | undefined)[], figure: HistoryFigure, options = defaultDetection): Judged[] {
  const normal: number[] = [];
  const judged: Judged[] = [];
  values.forEach((value, index) => {
    if (value === undefined || !Number.isFinite(value)) return;
    if (normal.length < options.minBaseline) {
      normal.push(value);
      judged.push({ index, value, regressed: false });
      return;
    }
    const recent = normal.slice(-options.window);
    const { mean: m, band: width } = band(recent, figure, options);
    const worseBy = figure.worse === 'higher' ? value - m : m - value;
    const regressed = worseBy > width;
    if (!regressed) normal.push(value);
    judged.push({ index, value, baseline: { mean: m, band: width, runs: recent.length }, regressed });
  });
  return judged;
}

/** Consecutive regressed values as one regression each; open when it reaches the series' last judged value. */
export function regressionsOf(figure: string, judged: Judged[]): Regression[] {
  const found: Regression[] = [];
  let current: Regression | undefined;
  for (const j of judged) {
    if (j.regressed) {
      if (!current) {
        current = { figure, began: j.index, last: j.index, open: false, baselineMean: j.baseline!.mean, value: j.value };
        found.push(current);
      } else current.last = j.index;
    } else current = undefined;
  }
  if (current && judged.at(-1)?.regressed) current.open = true;
  return found;
}
