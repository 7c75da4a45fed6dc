import fs from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { countLabelled, runSelector } from '../../src/cluster/cleanup.js';
import { KindProvider } from '../../src/cluster/kind.js';
import type { Cluster } from '../../src/core/cluster.js';
import { KubeApiClient } from '../../src/load/client.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { cliPath, isolatedStateDir, runCli, testSpec, writeExperiment } from '../helpers/cluster.js';
import { kindSkipReason } from '../helpers/kind.js';
import type { Summary } from '../../src/report/summary.js';

/**
 * The sharded fleet for real: a kind cluster is the load cluster, its pods run the
 * shards (`cpchaos agent` from the image built here), and they relist against the
 * target apiserver, here the same cluster's, reached at its address on the Docker
 * network as a separate target would be. Serial and last: one kind node on two cores.
 */
const skip = await kindSkipReason();
const kindTest = skip ? test.serial.skip : test.serial;
const note = skip ? ` (skipped: ${skip})` : '';

test.before(async () => {
  await isolatedStateDir();
});

async function loadCluster(t: ExecutionContext): Promise<{ cluster: Cluster; context: string }> {
  const cluster = await new KindProvider({ controlPlanes: 1 }).up(testSpec({ etcdUnsafeNoFsync: false }), { quiet: true });
  t.teardown(() => cluster.down());
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return { cluster, context: kc.getCurrentContext() };
}

const experiment = (kubeconfig: string, context: string, server: string, steadyState = '2s') => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: sharded
cluster:
  provider: existing
  context: ${context}
  kubeconfig: ${kubeconfig}
agents:
  - type: kubelet
    count: 30
    ${podsOnlyKubeletParts}
    relist: cache
    rampUp: 1s
    backoff: { initial: 200ms, max: 2s }
    placement:
      kubernetes: { context: ${context}, kubeconfig: ${kubeconfig}, shards: 3, server: "${server}" }
steadyState:
  duration: ${steadyState}
faults:
  - type: connection-drop
    at: 1s
observe: 10s
observeAgents: 30s
hypotheses:
  - name: every kubelet of every shard relisted once after the drop
    metric: cpchaos_fleet_relists_total
    labels: { agent: kubelet }
    aggregate: increase
    window: during
    comparator: "=="
    threshold: 30
  - name: all watches back
    metric: cpchaos_fleet_open_watches
    labels: { agent: kubelet }
    aggregate: last
    window: during
    comparator: "=="
    threshold: 30
`;

async function labelled(kubeconfig: string, context: string): Promise<Record<string, number>> {
  const client = await KubeApiClient.fromKubeconfig(kubeconfig, new ClientStats(), { context });
  try {
    return await countLabelled(client, runSelector());
  } finally {
    client.close();
  }
}

/** What of the run is still on the cluster once a namespace being deleted has had its time to go (or a minute). */
async function leftAfterDeletion(kubeconfig: string, context: string): Promise<Record<string, number>> {
  const deadline = Date.now() + 60_000;
  let left = await labelled(kubeconfig, context);
  while (Object.keys(left).length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    left = await labelled(kubeconfig, context);
  }
  return left;
}

kindTest(`three shards of a Job on a kind load cluster list, watch, relist once after one drop, report, and leave nothing${note}`, async (t) => {
  t.timeout(10 * 60_000);
  const { cluster, context } = await loadCluster(t);
  const server = cluster.networkServer;
  t.truthy(server, 'the kind cluster says where it is on its Docker network');
  const { dir, file } = await writeExperiment('sharded', experiment(cluster.kubeconfigPath, context, server!));

  const refused = await runCli(['run', file, '--results', dir, '--target-existing', context]);
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, new RegExp(`runs kubelet agents as a Job on the cluster of context "${context}"; to run it, pass --load-cluster ${context}`));

  const result = await runCli(['run', file, '--results', dir, '--run-id', 'sharded', '--target-existing', context, '--load-cluster', context]);
  t.is(result.exitCode, 0, result.all);
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'sharded', 'summary.json'), 'utf8')) as Summary;
  t.deepEqual(
    summary.fleet.map((f) => [f.agent, f.agents, f.lists, f.relists, f.resourceVersions]),
    [['kubelet', 30, 60, 30, { '0': 60 }]],
  );
  const events = (await fs.readFile(path.join(dir, 'sharded', 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; message?: string; sharded?: boolean; dropped?: number; skewMs?: number });
  const drop = events.find((e) => e.type === 'connections-dropped' && e.sharded);
  t.log(`sharded drop: ${JSON.stringify(drop)}`);
  t.true((drop?.dropped ?? 0) >= 30, JSON.stringify(drop));
  t.true((drop?.skewMs ?? Infinity) < 1_000, `the shards dropped within ${drop?.skewMs} ms of each other`);
  t.deepEqual(await leftAfterDeletion(cluster.kubeconfigPath, context), {}, 'nothing of the run is left on the load cluster');
});

/** Resolves once the run's journal says its agents synced (or the run ended). */
async function agentsSynced(events: string, run: { exitCode: number | null }): Promise<void> {
  for (;;) {
    const text = await fs.readFile(events, 'utf8').catch(() => '');
    if (text.includes('"agents-synced"') || run.exitCode !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

kindTest(`a shard whose pod is deleted mid-run ends the run with exit 3 (agents lost), and nothing is left${note}`, async (t) => {
  t.timeout(10 * 60_000);
  const { cluster, context } = await loadCluster(t);
  const { dir, file } = await writeExperiment('sharded-lost', experiment(cluster.kubeconfigPath, context, cluster.networkServer!, '120s'));
  const run = execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', 'lost', '--target-existing', context, '--load-cluster', context], {
    reject: false,
    all: true,
  });
  await agentsSynced(path.join(dir, 'lost', 'events.ndjson'), run);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const [pod] = (await core.listPodForAllNamespaces({ labelSelector: runSelector() })).items;
  t.truthy(pod, 'a shard pod runs');
  // As an eviction would: a graceful delete, so the shard gets its SIGTERM.
  await core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: pod!.metadata!.namespace! });
  const startedAt = Date.now();
  const result = await run;
  t.is(result.exitCode, 3, String(result.all));
  t.true(Date.now() - startedAt < 60_000, 'the run ended long before its 120 s steady state would have');
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'lost', 'summary.json'), 'utf8')) as Summary;
  t.is(summary.status, 'error');
  t.log(summary.message);
  t.regex(summary.message ?? '', new RegExp(`^agents lost: the Job of agent shards on ${context} failed`));
  t.deepEqual(await leftAfterDeletion(cluster.kubeconfigPath, context), {}, 'nothing of the run is left on the load cluster');
});

kindTest(`after a SIGKILLed runner, cpchaos down --existing removes the Job and everything else of the run${note}`, async (t) => {
  t.timeout(10 * 60_000);
  const { cluster, context } = await loadCluster(t);
  const server = cluster.networkServer!;
  const { dir, file } = await writeExperiment('sharded-killed', experiment(cluster.kubeconfigPath, context, server));
  const run = execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', 'killed', '--target-existing', context, '--load-cluster', context], {
    reject: false,
  });
  await agentsSynced(path.join(dir, 'killed', 'events.ndjson'), run);
  run.kill('SIGKILL');
  await run;
  const left = await labelled(cluster.kubeconfigPath, context);
  t.true((left.jobs ?? 0) === 1 && (left.secrets ?? 0) === 1, `left behind: ${JSON.stringify(left)}`);
  const down = await runCli(['down', '--existing', '--context', context, '--kubeconfig', cluster.kubeconfigPath]);
  t.is(down.exitCode, 0, down.all);
  t.deepEqual(await leftAfterDeletion(cluster.kubeconfigPath, context), {});
});
