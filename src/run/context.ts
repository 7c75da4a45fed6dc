import type { Catalog } from '../core/catalog.js';
import type { LoadedExperiment } from '../experiment/load.js';
import type { Sink } from '../metrics/sample.js';
import type { RunOutput } from '../ui/run-output.js';
import type { CleanupStack } from './cleanup.js';
import type { EventFn } from './journal.js';
import type { RunState } from './state.js';

/** What every phase is given: the journal, the plugins, and the means to report and release. */
export interface RunContext {
  readonly state: RunState;
  readonly loaded: LoadedExperiment;
  readonly catalog: Catalog;
  readonly signal: AbortSignal;
  readonly output: RunOutput;
  readonly sinks: readonly Sink[];
  readonly cleanup: CleanupStack;
  readonly event: EventFn;
  phase(name: string): void;
  log(line: string): void;
}
