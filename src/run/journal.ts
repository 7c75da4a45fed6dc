import type { EventFn, ReportFn, RunEvent, Sink } from '../core/sample.js';
import type { RunOutput } from '../ui/run-output.js';
import type { RunState } from './state.js';

export type { EventFn, ReportFn };

/** Every event goes to the journal, every sink and the live output, in that order. */
export function eventWriter(state: RunState, sinks: readonly Sink[], output: RunOutput): ReportFn {
  return (type, message, extra = {}) => {
    const record: RunEvent = { t: Date.now(), type, message, ...extra };
    state.events.push(record);
    for (const sink of sinks) sink.writeEvent(record);
    // A live reader of several variants' lines needs to know whose each is; the files are per variant already.
    output.event(state.variant ? { ...record, variant: state.variant } : record);
  };
}

/** Ends the open phase and starts `name` (none: just ends it), with its timing in the journal. */
export function phaseWriter(state: RunState, event: EventFn): (name: string) => void {
  return (name) => {
    const now = new Date();
    const previous = state.phases[state.phases.length - 1];
    if (previous && !previous.end) {
      previous.end = now.toISOString();
      previous.durationMs = now.getTime() - Date.parse(previous.start);
    }
    if (name) {
      state.phases.push({ phase: name, start: now.toISOString() });
      event('phase', name, { phase: name });
    }
  };
}
