import type { Catalog } from '../core/catalog.js';
import type { LoadedExperiment } from '../experiment/load.js';
import type { Sink } from '../core/sample.js';
import type { RunOutput } from '../ui/run-output.js';
import type { CleanupStack } from './cleanup.js';
import type { EventFn, ReportFn } from './journal.js';
import type { RunState } from './state.js';

/** What every phase is given: the journal, the plugins, and the means to report and release. */
export interface RunContext {
  readonly state: RunState;
  readonly loaded: LoadedExperiment;
  readonly catalog: Catalog;
  /** The load cluster context the user consented to (--load-cluster). */
  readonly loadCluster?: string;
  /** Aborted on Ctrl-C, or when the cluster or the agents are lost. */
  readonly signal: AbortSignal;
  readonly output: RunOutput;
  readonly sinks: readonly Sink[];
  readonly cleanup: CleanupStack;
  /** A core event, checked by the compiler. */
  readonly event: EventFn;
  /** A plugin's own event (faults, seeding's progress): what the fault environment is given. */
  readonly report: ReportFn;
  phase(name: string): void;
  /** The cluster or the agents cannot go on: every wait of the run stops, and the run ends with exit 3 and this reason (`cluster lost: ...`). */
  lose(reason: string): void;
  log(line: string): void;
}
