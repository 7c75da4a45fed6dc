import type { HypothesisPlugin } from '../../core/plugin.js';

export const notOomKilled: HypothesisPlugin = {
  name: 'not-oom-killed',
  description: 'no OOM kill of a component (default apiserver) during the whole run',
  steadyState: true,
  needs: ['processes'],
  evaluate(spec, context) {
    const component = spec.component ?? 'apiserver';
    const window = context.windows.whole;
    const kills = context.events.filter((e) => e.type === 'oom-kill' && e.component === component && (!window || (e.t >= window.from && e.t <= window.to)));
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
