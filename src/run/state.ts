import type { Cluster, ClusterSpec } from '../core/cluster.js';
import type { Experiment } from '../experiment/schema.js';
import type { FaultEnvironment } from '../faults/environment.js';
import type { EvaluationContext, Verdict, Windows } from '../core/hypothesis.js';
import type { ApiClient } from '../core/api-client.js';
import type { IntegrityResult, SeededSet } from '../core/seeded.js';
import { ClientStats } from '../metrics/client-stats.js';
import type { Recorder } from '../metrics/recorder.js';
import type { RunEvent } from '../core/sample.js';
import { SampleStore } from '../metrics/store.js';
import type { PhaseTiming, RunStatus } from '../report/summary.js';

/**
 * The journal of one run: what every phase reads and adds to, and all that the
 * summary is built from. Phases are functions over it, in the manner of Chaos Toolkit's run.
 */
export interface RunState {
  readonly runId: string;
  readonly dir: string;
  readonly experiment: Experiment;
  /** The experiment file, relative to the working directory, for the summary. */
  readonly file: string;
  readonly variant?: string;
  readonly spec: ClusterSpec;
  readonly startedAt: number;
  readonly store: SampleStore;
  readonly stats: ClientStats;
  readonly windows: Windows;
  readonly events: RunEvent[];
  readonly phases: PhaseTiming[];
  status: RunStatus;
  message?: string;
  cluster?: Cluster;
  client?: ApiClient;
  environment?: FaultEnvironment;
  recorder?: Recorder;
  seeded: SeededSet[];
  /** The fleet's first node for the experiment's agents (and the pods seeded onto their nodes), once allocated. */
  agentNodes?: number;
  integrity?: IntegrityResult[];
  /** When the last fault ended; recovery counts from here. */
  faultsEnd?: number;
  faultErrors: string[];
  readyAfterMs?: number;
  recoveryChecked: boolean;
  /** Why the run cannot go on, when the cluster said so (its folder removed, a restart failed) or a shard of agents failed. */
  lost?: string;
  verdicts: Verdict[];
}

/** A journal with nothing in it yet: the run's identity, and every list and flag at its start. */
export function newRunState(identity: Pick<RunState, 'runId' | 'dir' | 'experiment' | 'file' | 'variant' | 'spec' | 'startedAt'>): RunState {
  return {
    ...identity,
    store: new SampleStore(),
    stats: new ClientStats(),
    windows: {},
    events: [],
    phases: [],
    status: 'passed',
    seeded: [],
    faultErrors: [],
    recoveryChecked: false,
    verdicts: [],
  };
}

export function evaluationContext(state: RunState): EvaluationContext {
  const { store, windows, events, readyAfterMs, recoveryChecked, integrity } = state;
  return { store, windows, events, readyAfterMs, recoveryChecked, integrity };
}
