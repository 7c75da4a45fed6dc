import { Duration, Default, ComponentParam } from '../experiment/schema-parts.js';
import { parseDuration } from '../units.js';
import { sleep } from '../util/wait.js';
import { localProcess } from './local-only.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('pause-process', {
  component: Default(ComponentParam('which process'), 'etcd'),
  duration: Duration('how long it stays frozen'),
});

/** SIGSTOP a process (etcd by default), then SIGCONT it: a stall, not a crash. It is resumed even on Ctrl-C. */
export const pauseProcess = defineFault({
  type: 'pause-process',
  needs: ['processes'],
  description: 'freeze a control-plane process for a while (SIGSTOP / SIGCONT)',
  schema,
  async run(params, context) {
    const component = params.component;
    const pid = localProcess(context.cluster, component, 'pause-process');
    process.kill(pid, 'SIGSTOP');
    context.event('process-paused', `${component} (pid ${pid}) stopped for ${params.duration}`, { component, pid });
    try {
      await sleep(parseDuration(params.duration), context.signal);
    } finally {
      process.kill(pid, 'SIGCONT');
      context.event('process-resumed', `${component} (pid ${pid}) continued`, { component, pid });
    }
  },
});
