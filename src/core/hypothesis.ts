import { Type, type TProperties } from '@sinclair/typebox';
import type { IntegrityResult } from './seeded.js';
import type { RunEvent, Sample } from './sample.js';

export type WindowName = 'before' | 'during' | 'after' | 'whole';
export type Windows = Partial<Record<WindowName, { from: number; to: number }>>;

/** The run's recorded series as a hypothesis reads them (metrics/store.ts keeps them). */
export interface RecordedSeries {
  /** Samples of `metric` from `from` to `to` (ms) whose labels match: "value" exactly, "/regex/" as a regular expression. */
  select(metric: string, matcher: Record<string, string> | undefined, from: number, to: number): Sample[];
}

export interface EvaluationContext {
  store: RecordedSeries;
  windows: Windows;
  events: RunEvent[];
  /** Milliseconds from the end of the faults until /readyz answered 200; undefined if it never did. */
  readyAfterMs?: number;
  recoveryChecked: boolean;
  integrity?: IntegrityResult[];
}

export type VerdictStatus = 'held' | 'deviated' | 'no-data' | 'not-checked';

export interface Verdict {
  name: string;
  kind: 'metric' | 'builtin';
  status: VerdictStatus;
  observed?: number;
  /** The observed value with its unit, for people. */
  observedText: string;
  /** "< 900Mi", "0 OOM kills", "within 30s". */
  expected: string;
  window?: WindowName;
  detail?: string;
  /** It deviated while the runner itself was saturated: why, so the deviation is not taken for the control plane's limit. */
  runnerSaturated?: string;
}

/** The schema of a built-in hypothesis entry: name and builtin plus its own keys, nothing else. */
export function builtinSchema<T extends TProperties>(builtin: string, properties: T) {
  return Type.Object({ name: Type.String({ minLength: 1 }), builtin: Type.Literal(builtin), ...properties }, { additionalProperties: false });
}
