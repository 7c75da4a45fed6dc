import type { Cluster } from '../core/cluster.js';
import { KubeApiClient, kubeconfigIdentity } from '../load/client.js';
import type { AgentKind } from '../load/agents/types.js';
import { Fleet, type ShardingContext } from '../load/fleet.js';
import { LoadBalancerProxy, upstreamOf } from '../load/proxy.js';
import { agentConnections } from '../load/agent-connections.js';
import type { SeededSet } from '../core/seeded.js';
import type { ClientStats } from '../metrics/client-stats.js';
import type { FaultContext } from './types.js';

export interface FaultEnvironment {
  context: FaultContext;
  /** The fleet behind `context.fleet`, with what the run reads of it (stats, sync, request counts). */
  fleet: Fleet;
  close(): Promise<void>;
}

/**
 * What faults work with: the load identity's client, a way to open more clients,
 * and the (initially empty) agent fleet, dialling the apiserver itself or, when a
 * fault acts on the agents' bytes, through the runner's relay.
 */
export async function createFaultEnvironment(
  cluster: Cluster,
  options: {
    stats: ClientStats;
    signal: AbortSignal;
    event: FaultContext['event'];
    agentKinds: ReadonlyMap<string, AgentKind>;
    seeded?: SeededSet[];
    client?: KubeApiClient;
    createLabels?: Record<string, string>;
    /** Put the runner's relay between the agents and the apiserver: a fault acts on their bytes (latency, a blackhole). */
    relay?: boolean;
    /** false: every agent runs as the load identity, even where the cluster lets them be who they model (for comparisons). */
    agentIdentities?: boolean;
    /** What sharded agents need of the run (without it, agents with a placement are refused). */
    sharding?: Pick<ShardingContext, 'runId' | 'consent' | 'progress' | 'lost'>;
    /** At most this many TLS handshakes in flight in each of the fleet's threads (default HandshakeGate.defaultLimit; 0, no limit). */
    handshakesInFlight?: number;
  },
): Promise<FaultEnvironment> {
  const client = options.client ?? (await KubeApiClient.fromKubeconfig(cluster.loadKubeconfigPath, options.stats, { context: cluster.kubeconfigContext }));
  if (options.createLabels) client.createLabels = options.createLabels;
  const upstream = upstreamOf(cluster.access.server);
  const proxy = options.relay ? new LoadBalancerProxy(upstream.host, upstream.port) : undefined;
  await proxy?.start();
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath, cluster.kubeconfigContext);
  // Through the relay the agents dial it; the certificate they check is still the apiserver's.
  const server = proxy ? `https://127.0.0.1:${proxy.port}` : cluster.access.server;
  const fleet = new Fleet(server, { ...tls, serverName: upstream.host }, options.agentKinds, {
    relayed: Boolean(proxy),
    ...(options.handshakesInFlight !== undefined ? { handshakesInFlight: options.handshakesInFlight } : {}),
    ...(options.createLabels ? { labels: options.createLabels } : {}),
    identity: { kubeconfigPath: cluster.loadKubeconfigPath, context: cluster.kubeconfigContext },
    // Where the runner holds the cluster's CA, agents are who their real counterparts are; elsewhere the load identity.
    // The CA is read once kubelets start (on kind, from its control-plane node), not for runs without them.
    ...(cluster.clientCa && options.agentIdentities !== false ? { agentIdentities: { clientCa: () => cluster.clientCa!() } } : {}),
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
  const opened: KubeApiClient[] = [];
  const context: FaultContext = {
    cluster,
    client,
    newClient: async (o) => {
      const extra = await KubeApiClient.fromKubeconfig(cluster.loadKubeconfigPath, options.stats, { ...o, context: cluster.kubeconfigContext });
      if (options.createLabels) extra.createLabels = options.createLabels;
      opened.push(extra);
      return extra;
    },
    seeded: options.seeded ?? [],
    connections: agentConnections(fleet, proxy),
    fleet,
    signal: options.signal,
    event: options.event,
  };
  return {
    context,
    fleet,
    async close() {
      await fleet.stop();
      await proxy?.stop();
      for (const extra of opened) extra.close();
      if (!options.client) client.close();
    },
  };
}
