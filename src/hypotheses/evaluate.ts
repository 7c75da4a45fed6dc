import type { HypothesisPlugin } from '../core/plugin.js';
import type { HypothesisSpec } from '../experiment/schema.js';
import { evaluateMetric } from './metric.js';
import type { EvaluationContext, Verdict } from '../core/hypothesis.js';

/** Judges one hypothesis: a metric one over its window, a built-in one by its plugin. */
export function evaluate(spec: HypothesisSpec, context: EvaluationContext, builtins: ReadonlyMap<string, HypothesisPlugin>): Verdict {
  if ('builtin' in spec) {
    const plugin = builtins.get(spec.builtin);
    if (!plugin) throw new Error(`no built-in hypothesis "${spec.builtin}"`);
    return plugin.evaluate(spec, context);
  }
  return evaluateMetric(spec, context);
}

/** Held means held: no data or not checked is not a pass. */
export function passed(verdict: Verdict): boolean {
  return verdict.status === 'held';
}
