import { Type } from '@sinclair/typebox';
import { execa } from 'execa';
import { Duration, Default } from '../experiment/schema-parts.js';
import { parseDuration } from '../units.js';
import { sleep } from '../util/wait.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('pause-node', {
  node: Default(Type.Integer({ minimum: 1, maximum: 3, description: 'which control-plane node, 1 to 3' }), 1),
  duration: Duration('how long the node stays frozen'),
});

/** kind names control-plane node containers <cluster>-control-plane, -control-plane2, -control-plane3. */
export function kindNodeContainer(cluster: string, node: number): string {
  return `${cluster}-control-plane${node > 1 ? node : ''}`;
}

/** docker pause of a kind control-plane node: every process on it (etcd, apiserver, kubelet) freezes at once. */
export const pauseNode = defineFault({
  type: 'pause-node',
  needs: ['node-containers'],
  description: 'freeze a whole kind control-plane node container (docker pause / unpause)',
  schema,
  async run(params, context) {
    const container = kindNodeContainer(context.cluster.name, params.node);
    const paused = await execa('docker', ['pause', container], { reject: false });
    if (paused.exitCode !== 0) throw new Error(`docker pause ${container}: ${String(paused.stderr).trim()}`);
    context.event('node-paused', `${container} paused for ${params.duration}`, { container });
    try {
      await sleep(parseDuration(params.duration), context.signal);
    } finally {
      await execa('docker', ['unpause', container], { reject: false });
      context.event('node-resumed', `${container} unpaused`, { container });
    }
  },
});
