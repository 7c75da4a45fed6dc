import { execa } from 'execa';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('restart-load-balancer', {});

/**
 * Restarts kind's external load balancer (envoy, or cpchaos's stand-in, in front of three
 * control planes): every client connection through it is cut at once, as in an HA
 * cluster's LB failover. Clients that reach the apiserver through the runner's own
 * proxy (the simulated agents) are cut with connection-drop instead.
 */
export const restartLoadBalancer = defineFault({
  type: 'restart-load-balancer',
  needs: ['node-containers'],
  description: "restart kind's load balancer container in front of an HA control plane (cuts every connection through it)",
  schema,
  async run(_params, context) {
    const container = `${context.cluster.name}-external-load-balancer`;
    const restarted = await execa('docker', ['restart', '--time', '0', container], { reject: false });
    if (restarted.exitCode !== 0)
      throw new Error(`docker restart ${container}: ${String(restarted.stderr).trim()} (only a kind cluster with controlPlanes: 3 has a load balancer)`);
    context.event('load-balancer-restarted', `${container} restarted`, { container });
  },
});
