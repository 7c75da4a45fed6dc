import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { auditArgs, agentRequests, agentSequences, settledRequests } from '../../bench/audit-requests.js';
import { buildFleetGo, referenceClientVersions } from '../../bench/fleet-go-build.js';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../../src/binaries/versions.js';
import type { LocalCluster } from '../../src/cluster/local.js';
import { clientModel } from '../../src/load/agents/reflector.js';
import { kubeconfigIdentity } from '../../src/load/client.js';
import { Fleet } from '../../src/load/fleet.js';
import { LoadBalancerProxy } from '../../src/load/proxy.js';
import { catalog } from '../../src/plugins.js';
import { podsOnlyKubelet } from '../helpers/agents.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { startFleetGo } from '../helpers/fleet-go.js';

test.before(async () => {
  await isolatedStateDir();
});

const agents = 20;
/** client-go's kubelets watch nodes from here on, ours from 0: the audit log tells the two fleets apart by node. */
const goFirstNode = 1000;
const ours = (node: string) => Number(node.split('-').pop()) < goFirstNode;
const theirs = (node: string) => !ours(node);

async function seedPods(cluster: LocalCluster): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = [...Array(agents).keys()].flatMap((i) => [i, goFirstNode + i]);
  await Promise.all(
    nodes.flatMap((node) =>
      [0, 1].map((k) =>
        core.createNamespacedPod({
          namespace: 'default',
          body: { metadata: { name: `p-${node}-${k}` }, spec: { nodeName: `cpchaos-node-${node}`, containers: [{ name: 'c', image: 'none' }] } },
        }),
      ),
    ),
  );
}

/** The client-go reference fleet (bench/fleet-go) behind the same load balancer; resolves once every reflector has synced. */
async function startReference(t: ExecutionContext, binary: string, kubeconfig: string, server: string): Promise<void> {
  const args = ['-kubeconfig', kubeconfig, '-server', server, '-agents', String(agents), '-first-index', String(goFirstNode), '-pods-only'];
  await startFleetGo(t, binary, args);
}

/** The requests without their answers. */
function asked(counts: Record<string, number>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const [key, count] of Object.entries(counts)) {
    const request = key.split(' -> ')[0]!;
    merged[request] = (merged[request] ?? 0) + count;
  }
  return merged;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Both fleets' requests in [sinceMs, untilMs), once the log has been quiet for a while. */
async function bothFleets(log: string, sinceMs: number, untilMs?: number): Promise<{ ours: Record<string, number>; theirs: Record<string, number> }> {
  if (untilMs === undefined) await settledRequests(log, { sinceMs }, 4000, 90_000);
  return {
    ours: await agentRequests(log, { sinceMs, untilMs, node: ours }),
    theirs: await agentRequests(log, { sinceMs, untilMs, node: theirs }),
  };
}

for (const version of referenceClientVersions) {
  test.serial(
    `our kubelets and client-go ${version}'s ask a ${defaultKubernetesVersion} apiserver the same: sync, a connection drop, an apiserver restart`,
    async (t) => {
      const binary = await buildFleetGo(version);
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'client-go-reference-'));
      t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
      const audit = await auditArgs(dir);
      const cluster = await startCluster(t, { apiserverArgs: audit.args });
      cluster.watch(100);
      cluster.setRestartOnExit(true);
      await seedPods(cluster);

      const proxy = new LoadBalancerProxy('127.0.0.1', Number(new URL(cluster.access.server).port));
      await proxy.start();
      t.teardown(() => proxy.stop());
      const server = `https://127.0.0.1:${proxy.port}`;
      const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
      const fleet = new Fleet(server, tls, catalog.agents);
      t.teardown(() => fleet.stop());

      const started = Date.now();
      const client = { ...clientModel(parseKubernetesVersion(version).minor), protocol: 'http2' as const };
      await Promise.all([
        fleet
          .start([{ type: 'kubelet', off: podsOnlyKubelet, count: agents, relist: 'client-go', client, paginate: false, rampUpMs: 0 }])
          .then(() => fleet.waitSynced(30_000)),
        startReference(t, binary, cluster.loadKubeconfigPath, server),
      ]);
      // A watch cut in its first second is one client-go relists: let every watch age past it.
      await sleep(2000);
      const dropAt = Date.now();
      const sync = await bothFleets(audit.log, started, dropAt);
      t.log('sync', sync);
      t.deepEqual(sync.ours, sync.theirs, 'the initial sync');

      t.true(proxy.drop(1) >= 2 * agents);
      const drop = await bothFleets(audit.log, dropAt);
      t.log('drop', drop);
      t.deepEqual(drop.ours, drop.theirs, 'after a connection drop');
      t.true(Object.values(drop.theirs).reduce((a, b) => a + b, 0) >= agents, 'client-go re-watched');

      await sleep(2000);
      const killAt = Date.now();
      process.kill(cluster.state.processes.apiserver!.pid, 'SIGKILL');
      const restart = await bothFleets(audit.log, killAt);
      // Per agent, in order: when the counts differ, this says which path an agent took.
      t.log('restart', {
        ours: await agentSequences(audit.log, { sinceMs: killAt, node: ours }),
        theirs: await agentSequences(audit.log, { sinceMs: killAt, node: theirs }),
      });
      // The first re-watches meet a server still syncing its RBAC caches: the ones within its first
      // ~second are refused (403), later ones get the watch and then "too old". Either way the agent
      // relists from its last resourceVersion; where the line falls between agents is the server's timing.
      t.deepEqual(asked(restart.ours), asked(restart.theirs), 'after an apiserver restart');
      t.true(fleet.watching(), 'every agent of ours watches again');
    },
  );
}
