import { eventsOf, type RunEvent } from '../metrics/sample.js';
import type { SampleStore } from '../metrics/store.js';

/** Whether cpchaos itself ran out of CPU, event-loop time or files while the faults ran: then a limit found is ours, not the control plane's. */
export interface RunnerSaturation {
  saturated: boolean;
  /** Each threshold crossed, for people: "CPU 0.97 of a core per thread (over 0.9)". */
  reasons: string[];
  /** The runner's CPU over the fault window, in cores, per thread that runs agents (the main one and the fleet's workers). */
  cpuPerThread?: number;
  /** The largest per-interval event-loop lag p99 in the window, in seconds. */
  eventLoopLagP99?: number;
  /** The largest share of the open-file limit in use. */
  openFilesShare?: number;
  /** What to do about it. */
  advice?: string;
}

export const saturationLimits = { cpuPerThread: 0.9, eventLoopLagP99Seconds: 0.1, openFilesShare: 0.9 };

const runner = { component: 'runner' };

/** Cores used between the first and last CPU sample of the window. */
function cpuCores(store: SampleStore, from: number, to: number): number | undefined {
  const cpu = store.select('cpchaos_process_cpu_seconds_total', runner, from, to);
  if (cpu.length < 2) return undefined;
  const [first, last] = [cpu[0]!, cpu.at(-1)!];
  return last.t > first.t ? (last.value - first.value) / ((last.t - first.t) / 1000) : undefined;
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
  const share = openFilesShare(store, from, to);
  const reasons: string[] = [];
  if (cpuPerThread !== undefined && cpuPerThread > saturationLimits.cpuPerThread)
    reasons.push(`CPU ${cpuPerThread.toFixed(2)} of a core per thread (over ${saturationLimits.cpuPerThread})`);
  if (eventLoopLagP99 !== undefined && eventLoopLagP99 > saturationLimits.eventLoopLagP99Seconds)
    reasons.push(`event-loop lag p99 ${(eventLoopLagP99 * 1000).toFixed(0)} ms (over ${saturationLimits.eventLoopLagP99Seconds * 1000} ms)`);
  if (share !== undefined && share > saturationLimits.openFilesShare)
    reasons.push(`${(share * 100).toFixed(0)} % of the open-file limit in use (over ${saturationLimits.openFilesShare * 100} %)`);
  const saturated = reasons.length > 0;
  return {
    saturated,
    reasons,
    ...(cpuPerThread !== undefined ? { cpuPerThread } : {}),
    ...(eventLoopLagP99 !== undefined ? { eventLoopLagP99 } : {}),
    ...(share !== undefined ? { openFilesShare: share } : {}),
    ...(saturated
      ? {
          advice:
            "a limit found here may be the runner's: spread the agents over more worker threads (agents[].workers), shard them on a load cluster (agents[].placement), or use a bigger host",
        }
      : {}),
  };
}
