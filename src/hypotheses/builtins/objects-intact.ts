import type { HypothesisPlugin } from '../../core/plugin.js';

export const objectsIntact: HypothesisPlugin = {
  name: 'objects-intact',
  description: 'every seeded object (of `sets`, default all) still exists after recovery',
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
