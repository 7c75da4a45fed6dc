import type { MetricHypothesisSpec } from '../experiment/schema.js';
import { quantile } from '../metrics/client-stats.js';
import type { Sample } from '../core/sample.js';
import { formatBytes, parseBytes, parseDuration } from '../units.js';
import { seriesOf, subjectOf } from './series.js';
import type { EvaluationContext, Verdict } from '../core/hypothesis.js';

/** A threshold: a number, a size in bytes (512Mi) or a duration in seconds (500ms -> 0.5), as Prometheus records them. */
export function thresholdValue(threshold: number | string): number {
  if (typeof threshold === 'number') return threshold;
  if (/(ms|s|m|h)$/.test(threshold) && !/(Mi|M)$/.test(threshold)) return parseDuration(threshold) / 1000;
  return parseBytes(threshold);
}

function aggregate(values: number[], times: number[], how: MetricHypothesisSpec['aggregate'], windowSeconds: number): number {
  switch (how) {
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'p50':
    case 'p90':
    case 'p99':
      return quantile(
        [...values].sort((a, b) => a - b),
        Number(how.slice(1)) / 100,
      );
    case 'last':
      return values[values.length - 1]!;
    case 'increase':
    case 'rate': {
      // Counters reset when a process restarts: a drop means the counter started again from zero.
      let increase = 0;
      for (let i = 1; i < values.length; i++) increase += values[i]! >= values[i - 1]! ? values[i]! - values[i - 1]! : values[i]!;
      if (how === 'increase') return increase;
      const seconds = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : windowSeconds;
      return seconds > 0 ? increase / seconds : 0;
    }
  }
}

function compare(observed: number, comparator: MetricHypothesisSpec['comparator'], threshold: number): boolean {
  switch (comparator) {
    case '<':
      return observed < threshold;
    case '<=':
      return observed <= threshold;
    case '>':
      return observed > threshold;
    case '>=':
      return observed >= threshold;
    case '==':
      return observed === threshold;
    case '!=':
      return observed !== threshold;
  }
}

function groupSeries(samples: Sample[], sumBy: boolean): { times: number[]; values: number[] }[] {
  const groups = new Map<string, Map<number, number>>();
  for (const sample of samples) {
    const key = sumBy ? 'all' : JSON.stringify(Object.entries(sample.labels).sort());
    let points = groups.get(key);
    if (!points) groups.set(key, (points = new Map()));
    points.set(sample.t, (points.get(sample.t) ?? 0) + sample.value);
  }
  return [...groups.values()].map((points) => {
    const times = [...points.keys()].sort((a, b) => a - b);
    return { times, values: times.map((t) => points.get(t)!) };
  });
}

function formatValue(metric: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (metric.endsWith('_bytes')) return formatBytes(value);
  if (metric.endsWith('_seconds') || metric.includes('_seconds_')) return value < 1 ? `${(value * 1000).toFixed(0)}ms` : `${value.toFixed(2)}s`;
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** Evaluates a metric hypothesis over its window; with several series (sumBy: false) every one must hold. */
export function evaluateMetric(spec: MetricHypothesisSpec, context: EvaluationContext): Verdict {
  const windowName = spec.window ?? 'whole';
  const window = context.windows[windowName];
  const expected = `${spec.aggregate}(${subjectOf(spec)}) ${spec.comparator} ${spec.threshold}`;
  const { metric, labels } = seriesOf(spec);
  const base = { name: spec.name, kind: 'metric' as const, expected, window: windowName };
  if (!window) return { ...base, status: 'not-checked', observedText: `the ${windowName} window did not happen` };
  const counting = spec.aggregate === 'increase' || spec.aggregate === 'rate';
  // A counter's increase starts from its last value before the window, or from 0 if it did not exist yet
  // (a LIST flood that begins and ends between two scrapes still counts).
  const samples = context.store.select(metric, labels, counting ? 0 : window.from, window.to);
  const inWindow = samples.filter((s) => s.t >= window.from);
  if (inWindow.length === 0 && spec.absentAsZero) {
    const held = compare(0, spec.comparator, thresholdValue(spec.threshold));
    return { ...base, status: held ? 'held' : 'deviated', observed: 0, observedText: '0 (no samples)' };
  }
  if (inWindow.length === 0)
    return {
      ...base,
      status: 'no-data',
      observedText: 'no samples',
      detail: `no ${metric} samples matching ${JSON.stringify(labels ?? {})} in the ${windowName} window`,
    };
  const threshold = thresholdValue(spec.threshold);
  const series = groupSeries(samples, spec.sumBy ?? true).filter((s) => s.times.some((t) => t >= window.from));
  const observed = series.map((s) => {
    const first = s.times.findIndex((t) => t >= window.from);
    if (!counting) return aggregate(s.values, s.times, spec.aggregate, (window.to - window.from) / 1000);
    const baseline = first > 0 ? s.values[first - 1]! : 0;
    return aggregate([baseline, ...s.values.slice(first)], [window.from, ...s.times.slice(first)], spec.aggregate, (window.to - window.from) / 1000);
  });
  const failing = observed.filter((value) => !compare(value, spec.comparator, threshold));
  // Report the worst series: the failing one farthest past the threshold, else the one closest to it.
  const distance = (value: number) => Math.abs(value - threshold);
  const worst = failing.length ? failing.reduce((a, b) => (distance(b) > distance(a) ? b : a)) : observed.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  return { ...base, status: failing.length ? 'deviated' : 'held', observed: worst, observedText: formatValue(metric, worst) };
}
