import type { Cluster } from '../cluster/provider.js';
import { ApiClient, kubeconfigIdentity } from '../load/client.js';
import type { AgentKind } from '../load/agents/types.js';
import { Fleet, type ShardingContext } from '../load/fleet.js';
import { LoadBalancerProxy, upstreamOf } from '../load/proxy.js';
import type { SeededSet } from '../load/seed.js';
import type { ClientStats } from '../metrics/client-stats.js';
import type { FaultContext } from './types.js';

export interface FaultEnvironment {
  context: FaultContext;
  close(): Promise<void>;
}

/**
 * What faults work with: the load identity's client, a way to open more clients,
 * and the load balancer proxy with the (initially empty) agent fleet behind it.
 */
export async function createFaultEnvironment(
  cluster: Cluster,
  options: {
    stats: ClientStats;
    signal: AbortSignal;
    event: FaultContext['event'];
    agentKinds: ReadonlyMap<string, AgentKind>;
    seeded?: SeededSet[];
    client?: ApiClient;
    createLabels?: Record<string, string>;
    /** What sharded agents need of the run (without it, agents with a placement are refused). */
    sharding?: Pick<ShardingContext, 'runId' | 'consent' | 'progress'>;
  },
): Promise<FaultEnvironment> {
  const client = options.client ?? (await ApiClient.fromKubeconfig(cluster.loadKubeconfigPath, options.stats, { context: cluster.kubeconfigContext }));
  if (options.createLabels) client.createLabels = options.createLabels;
  const upstream = upstreamOf(cluster.access.server);
  const proxy = new LoadBalancerProxy(upstream.host, upstream.port);
  await proxy.start();
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath, cluster.kubeconfigContext);
  // The agents dial the proxy; the certificate they check is the apiserver's.
  const fleet = new Fleet(`https://127.0.0.1:${proxy.port}`, { ...tls, serverName: upstream.host }, options.agentKinds, {
    identity: { kubeconfigPath: cluster.loadKubeconfigPath, context: cluster.kubeconfigContext },
    ...(options.sharding
      ? {
          sharding: {
            ...options.sharding,
            client,
            caPem: cluster.access.caPem ?? '',
            ...(cluster.networkServer ? { networkServer: cluster.networkServer } : {}),
          },
        }
      : {}),
  });
  const opened: ApiClient[] = [];
  const context: FaultContext = {
    cluster,
    client,
    newClient: async (o) => {
      const extra = await ApiClient.fromKubeconfig(cluster.loadKubeconfigPath, options.stats, { ...o, context: cluster.kubeconfigContext });
      if (options.createLabels) extra.createLabels = options.createLabels;
      opened.push(extra);
      return extra;
    },
    seeded: options.seeded ?? [],
    proxy,
    fleet,
    signal: options.signal,
    event: options.event,
  };
  return {
    context,
    async close() {
      await fleet.stop();
      await proxy.stop();
      for (const extra of opened) extra.close();
      if (!options.client) client.close();
    },
  };
}
