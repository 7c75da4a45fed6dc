import { Type, type Static } from '@sinclair/typebox';
import type { HypothesisPlugin } from '../../core/plugin.js';
import { Name } from '../../experiment/schema-parts.js';
import { builtinSchema } from '../../core/hypothesis.js';

const schema = builtinSchema('objects-intact', { sets: Type.Optional(Type.Array(Name('seed set'), { description: 'which seed sets (default all)' })) });

export const objectsIntact: HypothesisPlugin<Static<typeof schema>> = {
  name: 'objects-intact',
  description: 'every seeded object (of `sets`, default all) still exists after recovery',
  schema,
  validate(spec, experiment) {
    const names = (experiment.seed ?? []).map((s) => s.name ?? s.kind);
    return (spec.sets ?? []).flatMap((set, j) => (names.includes(set) ? [] : [{ path: ['sets', j], message: `no seed set named "${set}"` }]));
  },
  evaluate(spec, context) {
    const base = { name: spec.name, kind: 'builtin' as const, expected: 'every seeded object still exists' };
    if (!context.integrity) return { ...base, status: 'not-checked', observedText: 'the run ended before the objects were checked' };
    const results = context.integrity.filter((r) => !spec.sets || spec.sets.includes(r.set));
    const expected = results.reduce((n, r) => n + r.expected, 0);
    const found = results.reduce((n, r) => n + r.found, 0);
    const missing = results.flatMap((r) => r.missing);
    return {
      ...base,
      status: missing.length ? 'deviated' : 'held',
      observed: found,
      observedText: `${found}/${expected} present`,
      ...(missing.length ? { detail: `missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` } : {}),
    };
  },
};
