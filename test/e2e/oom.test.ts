import https from 'node:https';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import test from 'ava';
import { oldestKubernetesVersion } from '../../src/binaries/versions.js';
import type { ApiserverAccess, ClusterEvent } from '../../src/core/cluster.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

const configmaps = 3000;
const payloadBytes = 10 * 1024;
const limit = 450 * 1024 ** 2;

/** A full quorum LIST whose body is drained and dropped: only the apiserver should hold it in memory. */
function fullList(access: ApiserverAccess): Promise<number> {
  return new Promise((resolve) => {
    const request = https.get(`${access.server}/api/v1/configmaps`, { ca: access.caPem, cert: access.certPem, key: access.keyPem }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', () => resolve(-1));
    });
    request.on('error', () => resolve(-1));
  });
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

test('a tight apiserver memory limit plus concurrent full LISTs gives a real OOM kill, reported by the provider', async (t) => {
  // Newer apiservers serve quorum LISTs from the watch cache and stream their JSON encoding,
  // which keeps memory nearly flat. The oldest minor (1.31, no streamed encoding yet) with
  // the cache off behaves like the field reports' apiservers: each LIST whole from etcd, encoded whole.
  const cluster = await startCluster(t, {
    kubernetesVersion: oldestKubernetesVersion,
    memoryLimits: { apiserver: limit },
    featureGates: { ConsistentListFromCache: false },
  });
  const events: ClusterEvent[] = [];
  cluster.events.on('event', (event: ClusterEvent) => events.push(event));
  cluster.watch(100);
  cluster.setRestartOnExit(true);

  const [apiserver] = (await cluster.status()).filter((s) => s.name === 'apiserver');
  t.is(apiserver?.memoryLimitBytes, limit, 'the limit is set on the real cgroup');

  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const data = { payload: 'x'.repeat(payloadBytes) };
  await pool([...Array(configmaps).keys()], 20, async (i) => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `oom-${i}` }, data } });
  });
  t.false(
    events.some((e) => e.type === 'oom-kill'),
    'seeding alone stays under the limit',
  );

  // Rounds of concurrent LISTs until the kernel kills the apiserver (usually the first round).
  const deadline = Date.now() + 90_000;
  let rounds = 0;
  while (!events.some((e) => e.type === 'oom-kill') && Date.now() < deadline) {
    rounds++;
    await Promise.all(Array.from({ length: 8 }, () => fullList(cluster.access)));
    await cluster.pollOomKills();
  }
  const peak = (await cluster.cgroupOf('apiserver')?.peak()) ?? 0;
  t.log(`apiserver cgroup peak ${Math.round(peak / 1024 ** 2)} MiB of ${limit / 1024 ** 2} MiB`);
  t.log(`OOM kill after ${rounds} round(s) of 8 concurrent full LISTs of ${configmaps} configmaps`);
  const oom = events.find((e) => e.type === 'oom-kill');
  t.truthy(oom, 'an OOM kill was reported');
  t.is(oom?.component, 'apiserver');
  // The kernel's kill is SIGKILL; the provider sees the process go with it.
  const deadlineExit = Date.now() + 10_000;
  while (!events.some((e) => e.type === 'exited') && Date.now() < deadlineExit) await new Promise((r) => setTimeout(r, 100));
  const exited = events.find((e) => e.type === 'exited');
  t.is(exited?.type === 'exited' ? exited.signal : undefined, 'SIGKILL');
  t.is(exited?.component, 'apiserver');
  const etcd = (await cluster.status()).find((s) => s.name === 'etcd');
  t.true(etcd?.alive, 'etcd, with no limit, survives');

  // Like a kubelet with a static pod, the provider restarts it after a 10 s backoff, in the same cgroup.
  const restarting = events.find((e) => e.type === 'restarting');
  t.is(restarting?.type === 'restarting' ? restarting.backoffMs : undefined, 10_000);
  const readyDeadline = Date.now() + 60_000;
  while (!(events.some((e) => e.type === 'started') && (await cluster.ready())) && Date.now() < readyDeadline) await new Promise((r) => setTimeout(r, 250));
  const started = events.find((e) => e.type === 'started');
  t.truthy(started, 'restarted');
  t.true(await cluster.ready(), 'ready again after the restart');
  const restarted = (await cluster.status()).find((s) => s.name === 'apiserver');
  t.not(restarted?.pid, apiserver?.pid);
  t.is(restarted?.memoryLimitBytes, limit, 'same cgroup, same limit');
  t.deepEqual(await cluster.cgroupOf('apiserver')?.pids(), [restarted!.pid]);
});
