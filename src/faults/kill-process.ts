import { Type, type Static } from '@sinclair/typebox';
import { localProcess } from './local-only.js';
import { ComponentParam } from '../experiment/schema-parts.js';
import type { FaultPlugin } from '../core/plugin.js';
import { faultSchema } from './types.js';

const schema = faultSchema('kill-process', {
  component: Type.Optional(ComponentParam('which process (default apiserver)')),
  signal: Type.Optional(Type.Union([Type.Literal('SIGKILL'), Type.Literal('SIGTERM')], { description: 'default SIGKILL, like kill -9' })),
});

type Params = Static<typeof schema>;

/**
 * kill -9 a control-plane process. The cluster restarts it the way a kubelet
 * restarts a static pod (cluster.restartOnExit, on by default in runs).
 */
export const killProcess: FaultPlugin<Params> = {
  type: 'kill-process',
  needs: ['processes'],
  description: 'kill a control-plane process; it is restarted like a static pod',
  schema,
  async run(params, context) {
    const component = params.component ?? 'apiserver';
    const pid = localProcess(context.cluster, component, 'kill-process');
    const signal = params.signal ?? 'SIGKILL';
    process.kill(pid, signal);
    context.event('process-killed', `${component} (pid ${pid}) sent ${signal}`, { component, pid, signal });
  },
};
