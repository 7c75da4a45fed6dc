import { Type } from '@sinclair/typebox';
import { ComponentParam, Default, Duration, Size } from '../experiment/schema-parts.js';
import { parseBytes, parseDuration } from '../units.js';
import { sleep } from '../util/wait.js';
import { localCgroup } from './local-only.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('memory-limit', {
  component: Default(ComponentParam('whose cgroup'), 'apiserver'),
  limit: Size('the new limit'),
  duration: Type.Optional(Duration('restore the previous limit after this long (default: keep it)')),
});

/** Changes a component's cgroup memory limit while it runs, as a resize of a static pod's limit would. */
export const memoryLimit = defineFault({
  type: 'memory-limit',
  needs: ['processes'],
  description: "change a component's memory limit at runtime",
  schema,
  async run(params, context) {
    const component = params.component;
    const cgroup = localCgroup(context.cluster, component, 'memory-limit');
    const previous = await cgroup.limit();
    const bytes = parseBytes(params.limit);
    await cgroup.setLimit(bytes);
    context.event('memory-limit-set', `${component} limit ${params.limit} (was ${previous ?? 'unlimited'})`, { component, bytes, previous });
    if (!params.duration) return;
    try {
      await sleep(parseDuration(params.duration), context.signal);
    } finally {
      await cgroup.setLimit(previous);
      context.event('memory-limit-restored', `${component} limit back to ${previous ?? 'unlimited'}`, { component, bytes: previous });
    }
  },
});
