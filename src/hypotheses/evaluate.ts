import type { HypothesisSpec } from '../experiment/schema.js';
import { notOomKilled } from './builtins/not-oom-killed.js';
import { objectsIntact } from './builtins/objects-intact.js';
import { readyWithin } from './builtins/ready-within.js';
import { evaluateMetric } from './metric.js';
import type { BuiltinCheck, EvaluationContext, Verdict } from './types.js';

const builtinChecks: Record<string, BuiltinCheck> = {
  'not-oom-killed': notOomKilled,
  'ready-within': readyWithin,
  'objects-intact': objectsIntact,
};

export function evaluate(spec: HypothesisSpec, context: EvaluationContext): Verdict {
  if ('builtin' in spec) return builtinChecks[spec.builtin]!.evaluate(spec, context);
  return evaluateMetric(spec, context);
}

/** Held means held: no data or not checked is not a pass. */
export function passed(verdict: Verdict): boolean {
  return verdict.status === 'held';
}
