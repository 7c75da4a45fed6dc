import { observables } from '../model/observables.js';
import type { ChartUnit } from '../report/report-data.js';
import type { RunData } from '../report/run-data.js';

/**
 * One figure followed over time. `worse` says which way is a regression; `noise` is the
 * least change counted as one however steady the baseline: a share of its median, and an
 * absolute amount (a verdict's flip or one OOM kill, where the baseline is all zeros).
 */
export interface HistoryFigure {
  name: string;
  title: string;
  unit: ChartUnit | 'verdict';
  worse: 'higher' | 'lower';
  noise: { relative: number; absolute: number };
  /** The metrics `measure` reads, so loading a run parses only those. */
  metrics: readonly string[];
  measure(run: RunData): number | undefined;
}

/**
 * Shared machines swing latencies far more than memory: a LIST p99 twice the baseline's
 * median is within what an unchanged cluster does under a neighbour's load.
 */
const noiseFloors: Record<string, HistoryFigure['noise']> = {
  'apiserver-memory': { relative: 0.2, absolute: 0 },
  'etcd-memory': { relative: 0.2, absolute: 0 },
  'list-p99': { relative: 1, absolute: 0.05 },
  'relist-p99': { relative: 1, absolute: 0.05 },
};

const fromModel: HistoryFigure[] = observables.map((o) => ({
  name: o.name,
  title: o.title,
  unit: o.unit,
  worse: 'higher',
  noise: noiseFloors[o.name] ?? { relative: 0.25, absolute: 0 },
  metrics: o.metrics,
  measure: (run) => o.measure(run),
}));

/** The worst p99 the run's api-call-latency hypotheses saw (named by the experiment as it ran). */
function sloP99(run: RunData): number | undefined {
  const names = new Set((run.experiment?.hypotheses ?? []).filter((h) => 'builtin' in h && h.builtin === 'api-call-latency').map((h) => h.name));
  const observed = run.summary.verdicts.filter((v) => names.has(v.name) && v.observed !== undefined).map((v) => v.observed!);
  return observed.length ? Math.max(...observed) : undefined;
}

/** The figures of every run, besides one figure per hypothesis (its verdict). */
export const historyFigures: readonly HistoryFigure[] = [
  ...fromModel,
  {
    name: 'slo-p99',
    title: 'API call latency SLO: worst p99',
    unit: 'seconds',
    worse: 'higher',
    noise: { relative: 1, absolute: 0.05 },
    metrics: [],
    measure: sloP99,
  },
  {
    name: 'oom-kills',
    title: 'OOM kills',
    unit: 'count',
    worse: 'higher',
    noise: { relative: 0, absolute: 0.5 },
    metrics: [],
    measure: (run) => run.summary.events.oomKills,
  },
  {
    name: 'runner-cpu',
    title: "runner's CPU per thread (cores, while the faults ran)",
    unit: 'count',
    worse: 'higher',
    noise: { relative: 0.25, absolute: 0.05 },
    metrics: [],
    measure: (run) => run.summary.runner?.cpuPerThread,
  },
];

/** A hypothesis as a figure: 0 when it held, 1 when it deviated; not judged (no data, not checked) is no value. */
export function verdictFigure(name: string): HistoryFigure {
  return {
    name: `verdict:${name}`,
    title: `verdict: ${name}`,
    unit: 'verdict',
    worse: 'higher',
    noise: { relative: 0, absolute: 0.5 },
    metrics: [],
    measure: (run) => {
      const verdict = run.summary.verdicts.find((v) => v.name === name);
      return verdict?.status === 'held' ? 0 : verdict?.status === 'deviated' ? 1 : undefined;
    },
  };
}
