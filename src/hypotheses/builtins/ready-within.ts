import { formatDuration, parseDuration } from '../../units.js';
import { Type, type Static } from '@sinclair/typebox';
import type { HypothesisPlugin } from '../../core/plugin.js';
import { Duration } from '../../experiment/schema-parts.js';
import { builtinSchema } from '../../core/hypothesis.js';

const schema = builtinSchema('ready-within', { within: Type.Optional(Duration('how soon after the faults end')) });

export const readyWithin: HypothesisPlugin<Static<typeof schema>> = {
  name: 'ready-within',
  description: "the apiserver's /readyz answers 200 within `within` after the faults end",
  schema,
  validate: (spec) => (spec.within ? [] : [{ path: [], message: 'ready-within needs within: (a duration)' }]),
  evaluate(spec, context) {
    const within = parseDuration(spec.within ?? '60s');
    const base = { name: spec.name, kind: 'builtin' as const, expected: `/readyz 200 within ${spec.within} after the faults` };
    if (!context.recoveryChecked) return { ...base, status: 'not-checked', observedText: 'the run ended before recovery was checked' };
    if (context.readyAfterMs === undefined) return { ...base, status: 'deviated', observedText: 'never ready within the recovery timeout' };
    return {
      ...base,
      status: context.readyAfterMs <= within ? 'held' : 'deviated',
      observed: context.readyAfterMs / 1000,
      observedText: `ready after ${formatDuration(context.readyAfterMs)}`,
    };
  },
};
