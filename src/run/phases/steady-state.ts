import type { HypothesisPlugin } from '../../core/plugin.js';
import type { HypothesisSpec } from '../../experiment/schema.js';
import { evaluate, passed } from '../../hypotheses/evaluate.js';
import { parseDuration } from '../../units.js';
import { sleep } from '../../util/wait.js';
import type { RunContext } from '../context.js';
import { evaluationContext } from '../state.js';

/** What can be judged before any fault, in the manner of Chaos Toolkit: the "before" window and built-ins that say so. */
export function steadyStateHypotheses(hypotheses: HypothesisSpec[], builtins: ReadonlyMap<string, HypothesisPlugin>): HypothesisSpec[] {
  return hypotheses.filter((h) => ('builtin' in h ? builtins.get(h.builtin)?.steadyState === true : h.window === 'before'));
}

/** steady-state: observe, then judge; false (and the run's status says why) when not steady. */
export async function checkSteadyState(run: RunContext): Promise<boolean> {
  run.phase('steady-state');
  const { state, catalog } = run;
  const from = Date.now();
  await sleep(parseDuration(state.experiment.steadyState?.duration ?? '5s'), run.signal);
  await state.recorder!.round();
  state.windows.before = { from, to: Date.now() };
  const whole = { from: state.windows.whole!.from, to: Date.now() };
  const context = { ...evaluationContext(state), windows: { ...state.windows, whole } };
  const unsteady = steadyStateHypotheses(state.experiment.hypotheses, catalog.hypotheses)
    .map((h) => evaluate(h, context, catalog.hypotheses))
    .filter((v) => !passed(v));
  if (!unsteady.length) return true;
  state.status = 'not-steady';
  state.message = `not in steady state before the faults: ${unsteady.map((v) => `${v.name} (${v.observedText})`).join('; ')}`;
  run.event('not-steady', state.message);
  return false;
}
