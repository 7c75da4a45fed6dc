import { runnerSaturation, type RunnerSaturation } from './saturation.js';
import type { Verdict } from '../core/hypothesis.js';
import { cpchaosVersion } from '../version.js';
import { ExitCode } from '../errors.js';
import { eventsOf } from '../core/sample.js';
import type { RunStatus, Summary } from '../report/summary.js';
import type { RunState } from './state.js';

const exitCodes: Record<RunStatus, number> = {
  passed: ExitCode.ok,
  deviated: ExitCode.deviated,
  'not-steady': ExitCode.deviated,
  interrupted: ExitCode.interrupted,
  error: ExitCode.infrastructure,
};

export function exitCodeOf(status: RunStatus): number {
  return exitCodes[status];
}

function clusterPart(state: RunState): Summary['cluster'] {
  const { cluster, spec } = state;
  if (!cluster) return undefined;
  return {
    provider: cluster.provider,
    name: cluster.name,
    kubernetesVersion: cluster.serverVersion ?? spec.kubernetesVersion,
    memoryLimits: spec.memoryLimits as Record<string, number>,
    ...(cluster.nodeImage ? { nodeImage: cluster.nodeImage } : {}),
  };
}

function seededPart(state: RunState): Summary['seeded'] {
  return state.seeded.map((s) => ({
    set: s.name,
    kind: s.kind,
    requested: s.requested,
    created: s.objects.length,
    failed: s.failed,
    durationMs: s.durationMs,
    objectsPerSecond: s.objects.length / Math.max(0.001, s.durationMs / 1000),
  }));
}

function fleetPart(state: RunState): Summary['fleet'] {
  const byType = state.environment?.fleet.stats.byType ?? new Map();
  return [...byType].map(([type, s]) => ({
    agent: type,
    agents: s.agents,
    lists: s.lists,
    relists: s.relists,
    listBytes: s.listBytes,
    watchEvents: s.watchEvents,
    resourceVersions: Object.fromEntries(s.resourceVersions),
    requests: Object.fromEntries(s.requests),
  }));
}

/** A deviation while the runner was saturated says so in itself: it may be cpchaos's limit, not the control plane's. */
function withRunnerSaturation(verdicts: Verdict[], runner: RunnerSaturation): Verdict[] {
  if (!runner.saturated) return verdicts;
  const why = `the runner was saturated while the faults ran (${runner.reasons.join('; ')})`;
  return verdicts.map((v) => (v.status === 'deviated' ? { ...v, runnerSaturated: why } : v));
}

/**
 * summary.json from the journal alone: no clock, no files, no cluster calls, so the
 * same journal always gives the same summary. `sinkReports` are what the sinks say of themselves.
 */
export function buildSummary(state: RunState, endedAt: number, sinkReports: Record<string, unknown>[] = []): Summary {
  const { experiment } = state;
  const runner = runnerSaturation(state.store, state.windows.during, state.events);
  return {
    runId: state.runId,
    cpchaosVersion,
    experiment: {
      name: experiment.metadata.name,
      description: experiment.metadata.description,
      file: state.file,
      ...(state.variant ? { variant: state.variant } : {}),
    },
    status: state.status,
    exitCode: exitCodes[state.status],
    startedAt: new Date(state.startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - state.startedAt,
    ...(state.message ? { message: state.message } : {}),
    cluster: clusterPart(state),
    binaries: (state.cluster?.binaries ?? []).map(({ name, source, cachedFrom, reportedVersion }) => ({ name, source, cachedFrom, reportedVersion })),
    phases: state.phases,
    verdicts: withRunnerSaturation(state.verdicts, runner),
    seeded: seededPart(state),
    client: state.stats.totals(),
    fleet: fleetPart(state),
    ...(state.recoveryChecked ? { recovery: { readyAfterMs: state.readyAfterMs } } : {}),
    events: { oomKills: eventsOf(state.events, 'oom-kill').length, restarts: eventsOf(state.events, 'restarting').length },
    runner,
    samplesRecorded: 0,
    ...(Object.assign({}, ...sinkReports) as Partial<Summary>),
  };
}
