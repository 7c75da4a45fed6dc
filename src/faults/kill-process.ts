import { Type } from '@sinclair/typebox';
import { localProcess } from './local-only.js';
import { ComponentParam, Default } from '../experiment/schema-parts.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('kill-process', {
  component: Default(ComponentParam('which process'), 'apiserver'),
  signal: Default(Type.Union([Type.Literal('SIGKILL'), Type.Literal('SIGTERM')], { description: 'SIGKILL is kill -9' }), 'SIGKILL'),
});

/**
 * kill -9 a control-plane process. The cluster restarts it the way a kubelet
 * restarts a static pod (cluster.restartOnExit, on by default in runs).
 */
export const killProcess = defineFault({
  type: 'kill-process',
  needs: ['processes'],
  description: 'kill a control-plane process; it is restarted like a static pod',
  schema,
  async run(params, context) {
    const component = params.component;
    const pid = localProcess(context.cluster, component, 'kill-process');
    const signal = params.signal;
    process.kill(pid, signal);
    context.event('process-killed', `${component} (pid ${pid}) sent ${signal}`, { component, pid, signal });
  },
});
