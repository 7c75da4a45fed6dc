import fs from 'node:fs/promises';
import path from 'node:path';
import type { Cluster, ClusterEvent, ClusterProvider } from '../../core/cluster.js';
import { AbortedError, InfrastructureError, messageOf } from '../../errors.js';
import { createFaultEnvironment } from '../../faults/environment.js';
import { KubeApiClient } from '../../load/client.js';
import { runLabel } from '../../load/seed.js';
import type { RunContext } from '../context.js';

function clusterEventMessage(e: ClusterEvent): string {
  if (e.type === 'lost') return e.reason;
  return `${e.component}${'signal' in e && e.signal ? ` (${e.signal})` : ''}${'code' in e && e.code !== null ? ` (exit ${e.code})` : ''}`;
}

/** Brings the cluster up, its releases deferred: logs copied into the results, then down. */
async function upCluster(run: RunContext, provider: ClusterProvider): Promise<Cluster> {
  const quiet = run.output.mode === 'quiet' || run.output.mode === 'json';
  let cluster: Cluster;
  try {
    cluster = await provider.up(run.state.spec, { signal: run.signal, quiet, onProgress: (line) => run.log(line) });
  } catch (error) {
    if (error instanceof AbortedError) throw error;
    throw new InfrastructureError(messageOf(error));
  }
  run.state.cluster = cluster;
  run.cleanup.defer('cluster', async () => {
    await cluster.exportLogs?.().catch((error: unknown) => run.event('teardown-error', messageOf(error)));
    await fs.cp(cluster.logsDir, path.join(run.state.dir, 'logs'), { recursive: true }).catch(() => undefined);
    await cluster.down();
  });
  return cluster;
}

/** provision: the cluster, its events in the journal, and the clients and load balancer the faults work with. */
export async function provision(run: RunContext, provider: ClusterProvider): Promise<void> {
  run.phase('provision');
  const cluster = await upCluster(run, provider);
  cluster.events.on('event', (e: ClusterEvent) => {
    if (e.type === 'lost') run.lose(`cluster lost: ${e.reason}`);
    const { type, component, ...rest } = e;
    // When it happened, as the cluster says: a kubelet reports an OOM kill seconds later.
    run.event(type, clusterEventMessage(e), { component, ...rest, t: Math.min(Date.now(), Date.parse(e.at) || Date.now()) });
  });
  cluster.watch?.(250);
  cluster.setRestartOnExit?.(run.state.experiment.cluster?.restartOnExit ?? true);
  const client = await KubeApiClient.fromKubeconfig(cluster.loadKubeconfigPath, run.state.stats, { context: cluster.kubeconfigContext });
  run.state.client = client;
  run.cleanup.defer('client', () => client.close());
  // Every object the run creates carries its run label, whichever fault made it (an existing cluster is cleaned by it).
  const environment = await createFaultEnvironment(cluster, {
    stats: run.state.stats,
    signal: run.signal,
    event: run.report,
    client,
    createLabels: { [runLabel]: run.state.runId },
    agentKinds: run.catalog.agents,
    ...(run.state.experiment.agentHandshakesInFlight !== undefined ? { handshakesInFlight: run.state.experiment.agentHandshakesInFlight } : {}),
    relay: (run.state.experiment.faults ?? []).some((fault) => run.catalog.faults.get(fault.type)?.relay?.(fault) ?? false),
    sharding: { runId: run.state.runId, consent: run.loadCluster, progress: (text) => run.log(text), lost: (reason) => run.lose(`agents lost: ${reason}`) },
  });
  run.state.environment = environment;
  run.cleanup.defer('fault environment', () => environment.close());
}
