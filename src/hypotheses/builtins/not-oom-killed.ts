import { Type, type Static } from '@sinclair/typebox';
import type { HypothesisPlugin } from '../../core/plugin.js';
import { ComponentParam } from '../../experiment/schema-parts.js';
import { eventsOf } from '../../core/sample.js';
import { builtinSchema } from '../../core/hypothesis.js';

const schema = builtinSchema('not-oom-killed', { component: Type.Optional(ComponentParam('which component (default apiserver)')) });

export const notOomKilled: HypothesisPlugin<Static<typeof schema>> = {
  name: 'not-oom-killed',
  description: 'no OOM kill of a component (default apiserver) during the whole run',
  schema,
  steadyState: true,
  needs: ['processes'],
  evaluate(spec, context) {
    const component = spec.component ?? 'apiserver';
    const window = context.windows.whole;
    const kills = eventsOf(context.events, 'oom-kill').filter((e) => e.component === component && (!window || (e.t >= window.from && e.t <= window.to)));
    return {
      name: spec.name,
      kind: 'builtin',
      status: kills.length ? 'deviated' : 'held',
      observed: kills.length,
      observedText: `${kills.length} OOM kill(s)`,
      expected: `no OOM kill of ${component}`,
      window: 'whole',
      ...(kills.length ? { detail: `first at ${new Date(kills[0]!.t).toISOString()}` } : {}),
    };
  },
};
