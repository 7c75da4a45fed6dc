import { eventsOf, type RunEvent, type Sample } from '../core/sample.js';
import type { SampleStore } from '../metrics/store.js';

const runner = { component: 'runner' };

/** Whether cpchaos itself ran out of CPU, event-loop time or files while the faults ran: then a limit found is ours, not the control plane's. */
export interface RunnerSaturation {
  saturated: boolean;
  /** Each threshold crossed, for people: "CPU 0.97 of a core per thread (over 0.9)". */
  reasons: string[];
  /** The runner's CPU over the fault window, in cores, per thread that runs agents (the main one and the fleet's workers). */
  cpuPerThread?: number;
  /** The share of the window's event-loop ticks late by more than 100 ms: over 1 %, the window's lag p99 is over 100 ms. */
  slowTickShare?: number;
  /** The worst recording interval's event-loop lag p99, in seconds. */
  eventLoopLagP99?: number;
  /** The largest share of the open-file limit in use. */
  openFilesShare?: number;
  /** What to do about it. */
  advice?: string;
}

/** What to do when the runner is the limit; capacity's inconclusive verdict says the same. */
export const runnerAdvice =
  'more worker threads for the agents (agents[].workers), agents sharded on a load cluster (agents[].placement), or a bigger host for the runner';

export const saturationLimits = { cpuPerThread: 0.9, eventLoopLagP99Seconds: 0.1, openFilesShare: 0.9 };

/**
 * The samples that bracket the window: the last at or before its start and the first at or
 * after its end (else the nearest inside). A short window, or one the runner was too busy to
 * sample inside (the very case to catch), still has two ends.
 */
function bracket(store: SampleStore, metric: string, from: number, to: number): [Sample, Sample] | undefined {
  const all = store.select(metric, runner, 0, Number.POSITIVE_INFINITY);
  const start = all.filter((s) => s.t <= from).at(-1) ?? all.find((s) => s.t >= from);
  const end = all.find((s) => s.t >= to) ?? all.filter((s) => s.t <= to).at(-1);
  return start && end && end.t > start.t ? [start, end] : undefined;
}

/** How much a counter grew over the window. */
function increase(store: SampleStore, metric: string, from: number, to: number): number | undefined {
  const ends = bracket(store, metric, from, to);
  return ends ? ends[1].value - ends[0].value : undefined;
}

/** The share of ticks that were slow: the window's lag p99 is over the threshold exactly when this is over 1 %. */
function slowTicks(store: SampleStore, from: number, to: number): number | undefined {
  const ticks = increase(store, 'cpchaos_process_event_loop_ticks_total', from, to);
  const slow = increase(store, 'cpchaos_process_event_loop_slow_ticks_total', from, to);
  return ticks && slow !== undefined ? slow / ticks : undefined;
}

/** Cores used between the first and last CPU sample of the window. */
function cpuCores(store: SampleStore, from: number, to: number): number | undefined {
  const ends = bracket(store, 'cpchaos_process_cpu_seconds_total', from, to);
  return ends ? (ends[1].value - ends[0].value) / ((ends[1].t - ends[0].t) / 1000) : undefined;
}

/** The fleet's worker threads, from the event that said the agents were synced. */
function workerThreads(events: RunEvent[]): number {
  return Math.max(0, ...eventsOf(events, 'agents-synced').map((e) => e.workerThreads));
}

function maxOf(store: SampleStore, metric: string, from: number, to: number): number | undefined {
  const values = store.select(metric, runner, from, to).map((s) => s.value);
  return values.length ? Math.max(...values) : undefined;
}

function openFilesShare(store: SampleStore, from: number, to: number): number | undefined {
  const limit = maxOf(store, 'cpchaos_process_max_fds', from, to);
  const open = maxOf(store, 'cpchaos_process_open_fds', from, to);
  return limit && open !== undefined ? open / limit : undefined;
}

/**
 * Judges the runner over the fault window by the thresholds of #24: a core's worth of CPU
 * per thread above 90 %, an event-loop lag p99 over 100 ms, or open files above 90 % of
 * the limit. No window (the faults never ran) or no samples: not saturated, nothing claimed.
 */
export function runnerSaturation(store: SampleStore, window: { from: number; to: number } | undefined, events: RunEvent[]): RunnerSaturation {
  if (!window) return { saturated: false, reasons: [] };
  const { from, to } = window;
  const cores = cpuCores(store, from, to);
  const cpuPerThread = cores === undefined ? undefined : cores / (1 + workerThreads(events));
  const eventLoopLagP99 = maxOf(store, 'cpchaos_process_event_loop_lag_p99_seconds', from, to);
  const slowTickShare = slowTicks(store, from, to);
  const share = openFilesShare(store, from, to);
  const reasons: string[] = [];
  if (cpuPerThread !== undefined && cpuPerThread > saturationLimits.cpuPerThread)
    reasons.push(`CPU ${cpuPerThread.toFixed(2)} of a core per thread (over ${saturationLimits.cpuPerThread})`);
  if (slowTickShare !== undefined && slowTickShare > 0.01)
    reasons.push(
      `event-loop lag p99 over ${saturationLimits.eventLoopLagP99Seconds * 1000} ms (${(slowTickShare * 100).toFixed(1)} % of its ticks were later than that)`,
    );
  if (share !== undefined && share > saturationLimits.openFilesShare)
    reasons.push(`${(share * 100).toFixed(0)} % of the open-file limit in use (over ${saturationLimits.openFilesShare * 100} %)`);
  const saturated = reasons.length > 0;
  return {
    saturated,
    reasons,
    ...(cpuPerThread !== undefined ? { cpuPerThread } : {}),
    ...(slowTickShare !== undefined ? { slowTickShare } : {}),
    ...(eventLoopLagP99 !== undefined ? { eventLoopLagP99 } : {}),
    ...(share !== undefined ? { openFilesShare: share } : {}),
    ...(saturated ? { advice: `a limit found here may be the runner's; what helps: ${runnerAdvice}` } : {}),
  };
}
