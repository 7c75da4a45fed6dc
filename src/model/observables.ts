import { eventsOf } from '../core/sample.js';
import type { ChartUnit } from '../report/report-data.js';
import type { RunData } from '../report/run-data.js';

/** One quantity a model fits against the varied parameter, read from a run folder. */
export interface Observable {
  name: string;
  title: string;
  unit: ChartUnit;
  /** The metrics `measure` reads, so loading a run parses only those. */
  metrics: readonly string[];
  measure(run: RunData): number | undefined;
  /** Why the run's value is not a measurement of the quantity (an OOM kill cut the peak at the limit). */
  censored(run: RunData): string | undefined;
  /** The ceiling the run itself set for this quantity (the component's memory limit). */
  limitOf?(run: RunData): number | undefined;
}

const max = (values: number[]) => (values.length ? Math.max(...values) : undefined);
const killed = (run: RunData, component?: string) => eventsOf(run.events, 'oom-kill').some((e) => component === undefined || e.component === component);

function componentMemory(component: 'apiserver' | 'etcd'): Observable {
  return {
    name: `${component}-memory`,
    title: `${component} peak memory`,
    unit: 'bytes',
    metrics: ['cpchaos_cgroup_memory_usage_bytes', 'process_resident_memory_bytes'],
    // The cgroup's usage where there is one (what the OOM killer compares), else the RSS.
    measure: ({ store }) => store.peak('cpchaos_cgroup_memory_usage_bytes', { component }) ?? store.peak('process_resident_memory_bytes', { component }),
    censored: (run) => (killed(run, component) ? `${component} OOM-killed: its peak is the limit, not its need` : undefined),
    limitOf: (run) => run.summary.cluster?.memoryLimits[component],
  };
}

const anyOomKill = (run: RunData) => (killed(run) ? 'OOM-killed component: latencies include the outage' : undefined);

export const observables: readonly Observable[] = [
  componentMemory('apiserver'),
  componentMemory('etcd'),
  {
    name: 'list-p99',
    title: 'slowest LIST p99',
    unit: 'seconds',
    metrics: [],
    measure: ({ summary }) => max(summary.client.filter((c) => c.verb === 'list' && c.requests > 0).map((c) => c.p99Ms / 1000)),
    censored: anyOomKill,
  },
  {
    name: 'relist-p99',
    title: 'agent relist p99',
    unit: 'seconds',
    metrics: ['cpchaos_fleet_relist_duration_seconds'],
    measure: ({ store }) => store.peak('cpchaos_fleet_relist_duration_seconds', { quantile: '0.99' }),
    censored: anyOomKill,
  },
];

export function observableNamed(name: string): Observable | undefined {
  return observables.find((o) => o.name === name);
}
