import { Type, type TProperties } from '@sinclair/typebox';
import type { IntegrityResult } from '../core/seeded.js';
import type { RunEvent } from '../core/sample.js';
import type { SampleStore } from '../metrics/store.js';

export type WindowName = 'before' | 'during' | 'after' | 'whole';
export type Windows = Partial<Record<WindowName, { from: number; to: number }>>;

export interface EvaluationContext {
  store: SampleStore;
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
