import fs from 'node:fs/promises';
import { CoreV1Api, CustomObjectsApi, KubeConfig, CoordinationV1Api } from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { clientModel } from '../../src/load/agents/reflector.js';
import { KubeApiClient, kubeconfigIdentity } from '../../src/load/client.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { Fleet, nodeName, type FleetSpec } from '../../src/load/fleet.js';
import { podObjectsType } from '../../src/load/agents/pod-object-watches.js';
import { catalog } from '../../src/plugins.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { until } from '../helpers/within.js';

test.before(async () => {
  await isolatedStateDir();
});

const perKind = 20;
const client = { ...clientModel(37), protocol: 'http2' as const };
const runLabel = { 'cpchaos.io/run': 'agent-kinds-test' };

const openFiles = async () => (await fs.readdir('/proc/self/fd')).length;

/**
 * What `read` counts once the spare connections an agent dials while its own is being made (as
 * client-go's transport does) have finished their handshakes and closed: at most 10 s for the count
 * to fall to `most`. On a busy machine a spare may close after every informer already watches.
 */
async function settled(read: () => Promise<number>, most: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let held = await read();
  while (held > most && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    held = await read();
  }
  return held;
}

/** Files opened since `before`, once the spares closed. */
const settledOpenFiles = (before: number, most: number) => settled(async () => (await openFiles()) - before, most);

/** This process's established TCP connections to `port`: its descriptors whose socket /proc/net/tcp shows connected there. */
async function connectionsTo(port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await fs.readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length > 9 && parseInt(columns[2]!.split(':')[1]!, 16) === port && columns[3] === '01') inodes.add(columns[9]!);
    }
  }
  let count = 0;
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const inode = /^socket:\[(\d+)\]$/.exec(await fs.readlink(`/proc/self/fd/${fd}`).catch(() => ''))?.[1];
    if (inode && inodes.has(inode)) count++;
  }
  return count;
}

/** This process's connections to `port` besides `others`, once the spares closed. */
const settledConnections = (port: number, others: number, most: number) => settled(async () => (await connectionsTo(port)) - others, most);

/** A real control plane and a fleet dialling its apiserver directly (no relay), able to use worker threads. */
async function directFleet(t: ExecutionContext) {
  const cluster = await startCluster(t);
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const fleet = new Fleet(cluster.access.server, tls, catalog.agents, { identity: { kubeconfigPath: cluster.loadKubeconfigPath }, labels: runLabel });
  t.teardown(() => fleet.stop());
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return { cluster, fleet, kc, port: Number(new URL(cluster.access.server).port) };
}

/** The apiserver's count of TLS handshakes its clients left unfinished (or that failed). */
async function handshakeErrors(kubeconfigPath: string): Promise<number> {
  const client = await KubeApiClient.fromKubeconfig(kubeconfigPath, new ClientStats());
  const text = (await client.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  return Number(/^apiserver_tls_handshake_errors_total (\S+)$/m.exec(text)?.[1] ?? 'NaN');
}

/** What a fleet's agents of one kind asked the apiserver, by request ("WATCHLIST rv=", "PUT leases"...). */
const requestsOf = (fleet: Fleet) => (type: string) => Object.fromEntries(fleet.stats.byType.get(type)!.requests);

/** Resets every agent's connection: each re-watches from where it was, over a new connection and the spares Go would dial, with no relist and no unfinished handshake. */
async function resetAndRewatch(t: ExecutionContext, fleet: Fleet, kubeconfigPath: string): Promise<void> {
  const counts = requestsOf(fleet);
  const watchesBefore = (type: string) => counts(type)['WATCH rv=last-synced'] ?? 0;
  const rewatched = { kubelet: watchesBefore('kubelet'), proxy: watchesBefore('kube-proxy') };
  const unfinishedBefore = await handshakeErrors(kubeconfigPath);
  const dialled = (type: string) => ({ kept: fleet.stats.byType.get(type)!.connections, spares: fleet.stats.byType.get(type)!.spareConnections });
  const dialledBefore = new Map(['kubelet', 'kube-proxy', 'cni-agent'].map((type) => [type, dialled(type)]));
  const reset = await fleet.resetConnections(1);
  t.deepEqual(reset, { open: 3 * perKind, reset: 3 * perKind }, 'one connection per agent, each reset');
  t.true(
    await until(
      () => watchesBefore('kubelet') >= rewatched.kubelet + 4 * perKind && watchesBefore('kube-proxy') >= rewatched.proxy + 4 * perKind && fleet.watching(),
      30_000,
    ),
    'every informer re-watched',
  );
  // The spare connections dialled in the storm finish their handshakes before they close, as Go's
  // do: the apiserver verifies each one's client certificate, and logs no handshake error.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.is((await handshakeErrors(kubeconfigPath)) - unfinishedBefore, 0, 'every handshake in the storm was finished');
  for (const type of ['kubelet', 'kube-proxy', 'cni-agent']) {
    t.is(fleet.stats.byType.get(type)!.relists, 0, `${type}: a reset is a re-watch, not a relist`);
    t.is(counts(type)['WATCHLIST rv='], type === 'cni-agent' ? 10 * perKind : 4 * perKind);
    // Each agent dials a connection again; its informers, re-watching at once, find it still being made and dial spares.
    const before = dialledBefore.get(type)!;
    const after = dialled(type);
    t.log(`${type}: ${after.kept - before.kept} connections and ${after.spares - before.spares} spares dialled after the reset`);
    t.true(after.kept - before.kept >= perKind, `${type}: ${after.kept - before.kept} connections dialled again for ${perKind} agents`);
    t.true(after.spares > before.spares, `${type}: spares dialled in the storm (${after.spares - before.spares})`);
  }
}

const spec = (type: string, workers = 1): FleetSpec => ({ type, count: perKind, relist: 'client-go', client, paginate: false, rampUpMs: 0, workers });

test.serial(
  "the agent kinds sync every informer, write what their real counterparts write, over one direct connection each, and a drop resets each with the runner's RST",
  async (t) => {
    const { cluster, fleet, kc, port } = await directFleet(t);
    const before = await openFiles();
    // The cluster's own readiness client may hold one too.
    const others = await connectionsTo(port);
    await fleet.start([spec('kubelet'), spec('kube-proxy'), spec('cni-agent')]);
    await fleet.waitSynced(60_000);
    t.true(await until(() => fleet.watching(), 20_000), 'every informer watches');
    t.is(await settledConnections(port, others, 3 * perKind), 3 * perKind, 'one connection to the apiserver per agent');
    const held = await settledOpenFiles(before, 3 * perKind + 10);
    t.true(held <= 3 * perKind + 10, `${held} more open files for ${3 * perKind} agents`);

    const counts = requestsOf(fleet);
    // kubelet: pods, its Node, Services, RuntimeClasses; kube-proxy: Services, EndpointSlices, its Node, ServiceCIDRs; the CNI agent ten.
    t.is(counts('kubelet')['WATCHLIST rv='], 4 * perKind);
    t.is(counts('kube-proxy')['WATCHLIST rv='], 4 * perKind);
    t.is(counts('cni-agent')['WATCHLIST rv='], 10 * perKind);
    t.true(await until(() => (counts('kubelet')['PATCH nodes/status'] ?? 0) === perKind, 20_000), JSON.stringify(counts('kubelet')));

    const nodes = await kc.makeApiClient(CoreV1Api).listNode({ labelSelector: 'cpchaos.io/run=agent-kinds-test' });
    t.is(nodes.items.length, perKind, 'every kubelet registered its Node, with the run label');
    t.true(nodes.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
    const leasesApi = kc.makeApiClient(CoordinationV1Api);
    let ours: Awaited<ReturnType<typeof leasesApi.listNamespacedLease>>['items'] = [];
    for (const deadline = Date.now() + 15_000; ours.length < perKind && Date.now() < deadline; await new Promise((r) => setTimeout(r, 250)))
      ours = (await leasesApi.listNamespacedLease({ namespace: 'kube-node-lease', labelSelector: 'cpchaos.io/run=agent-kinds-test' })).items;
    t.is(ours.length, perKind, 'every kubelet created its Lease');
    t.true(
      ours.every((l) => l.metadata?.ownerReferences?.[0]?.kind === 'Node'),
      'each Lease is owned by its Node, as the kubelet sets it',
    );
    // Written in protobuf, as the kubelet's heartbeat client does: what the apiserver decoded.
    t.true(
      ours.every((l) => l.spec?.holderIdentity === l.metadata?.name && l.spec?.leaseDurationSeconds === 40),
      JSON.stringify(ours[0]?.spec),
    );
    t.true(
      ours.every((l) => Math.abs(new Date(l.spec!.renewTime!).getTime() - Date.now()) < 60_000),
      'each renewTime is this minute',
    );
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ciliumNodes = async () =>
      (
        (await custom.listClusterCustomObject({
          group: 'cilium.io',
          version: 'v2',
          plural: 'ciliumnodes',
          labelSelector: 'cpchaos.io/run=agent-kinds-test',
        })) as { items: unknown[] }
      ).items.length;
    let registered = 0;
    for (const deadline = Date.now() + 15_000; registered < perKind && Date.now() < deadline; await new Promise((r) => setTimeout(r, 250)))
      registered = await ciliumNodes();
    t.is(registered, perKind, 'every CNI agent registered its CiliumNode');

    // Lease renewals: a PUT every 10 s per kubelet, the Lease it wrote in hand (no GET).
    t.true(await until(() => (counts('kubelet')['PUT leases'] ?? 0) >= perKind, 15_000), JSON.stringify(counts('kubelet')));
    // One GET each at start, and one more for each GET the apiserver turned away with a 429 (seen in CI under load).
    const kubeletBreaks = fleet.stats.byType.get('kubelet')!.breaks;
    t.is(
      counts('kubelet')['GET leases'],
      perKind + (kubeletBreaks.get('GET leases -> 429') ?? 0),
      `one GET each, at start: ${JSON.stringify([...kubeletBreaks])}`,
    );
    // A burst of registrations may meet the apiserver's in-flight limit (429); they are tried again, as the kubelet does.
    const failed = [...fleet.stats.byType.get('kubelet')!.breaks.keys()].filter((k) => k.includes(' -> ') && !k.endsWith(' -> 429'));
    t.deepEqual(failed, [], 'no write failed but for 429s');

    await resetAndRewatch(t, fleet, cluster.kubeconfigPath);
  },
);

test.serial('worker threads hold the same connections and reset them the same', async (t) => {
  const { fleet, port } = await directFleet(t);
  const before = await openFiles();
  const others = await connectionsTo(port);
  await fleet.start([spec('kube-proxy', 2)]);
  await fleet.waitSynced(60_000);
  t.true(await until(() => fleet.watching(), 20_000));
  t.is(fleet.workerThreads, 2);
  t.is(await settledConnections(port, others, perKind), perKind, 'one connection to the apiserver per agent');
  t.true(fleet.stats.byType.get('kube-proxy')!.connections >= perKind, 'the threads report the connections they dialled');
  // A thread's event loop holds a few descriptors of its own.
  const held = await settledOpenFiles(before, perKind + 20);
  t.true(held <= perKind + 20, `${held} more open files for ${perKind} agents in 2 threads`);
  // A watch cut within its first second with no event is one client-go relists ("very short watch"): let them age.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.deepEqual(await fleet.resetConnections(1), { open: perKind, reset: perKind });
  const stats = fleet.stats.byType.get('kube-proxy')!;
  t.true(
    await until(() => (stats.requests.get('WATCH rv=last-synced') ?? 0) >= 4 * perKind && fleet.watching(), 30_000),
    JSON.stringify({ requests: [...stats.requests], breaks: [...stats.breaks], open: stats.openWatches }),
  );
  t.is(fleet.stats.byType.get('kube-proxy')!.relists, 0);
});

test.serial("kubelets in worker threads watch each object their pods name, and the threads report those watches apart from the kubelets' own", async (t) => {
  const { fleet, kc } = await directFleet(t);
  const core = kc.makeApiClient(CoreV1Api);
  const labels = runLabel;
  await Promise.all([
    ...[0, 1].map((i) => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `kinds-cm-${i}`, labels } } })),
    ...[...Array(perKind).keys()].map((i) =>
      core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: `kinds-p-${i}`, labels },
          spec: {
            nodeName: nodeName(i),
            volumes: [
              { name: 'settings', configMap: { name: `kinds-cm-${i % 2}` } },
              { name: 'ca', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } },
            ],
            containers: [{ name: 'c', image: 'none' }],
          },
        },
      }),
    ),
  ]);
  await fleet.start([{ ...spec('kubelet', 2), firstIndex: 0, off: ['lease', 'nodeStatus'] }]);
  await fleet.waitSynced(60_000);
  t.is(fleet.workerThreads, 2);
  const objects = () => fleet.stats.byType.get(podObjectsType('kubelet'));
  t.true(await until(() => (objects()?.openWatches ?? 0) === 2 * perKind, 20_000), `object watches: ${objects()?.openWatches}`);
  t.is(objects()!.requests.get('WATCHLIST rv='), 2 * perKind, 'one WatchList per object per kubelet: its ConfigMap and kube-root-ca.crt');
  t.is(requestsOf(fleet)('kubelet')['WATCHLIST rv='], 4 * perKind, "the kubelets' own informers, counted apart");
  t.true(fleet.watching());
});

test.serial('parts switched off are not run, and a part the kind lacks is refused', async (t) => {
  const { fleet } = await directFleet(t);
  await t.throwsAsync(fleet.start([{ ...spec('kubelet'), off: ['leases'] }]), { message: /no part "leases".*lease/ });
  await fleet.start([{ ...spec('kubelet'), count: 5, off: ['lease', 'nodeStatus', 'services', 'runtimeClasses', 'node'] }]);
  await fleet.waitSynced(30_000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.deepEqual(Object.fromEntries(fleet.stats.byType.get('kubelet')!.requests), { 'WATCHLIST rv=': 5 });
});

test.serial("a fleet's entries start together, each spread over its own ramp, as a node's agents join at once", async (t) => {
  const { fleet } = await directFleet(t);
  const started: { type: string; at: number }[] = [];
  const count = fleet.stats.agentStarted.bind(fleet.stats);
  fleet.stats.agentStarted = (type: string) => {
    started.push({ type, at: Date.now() });
    count(type);
  };
  const rampUpMs = 3000;
  const entry = (type: string): FleetSpec => ({ ...spec(type), count: 4, firstIndex: 0, rampUpMs, off: type === 'kubelet' ? ['lease', 'nodeStatus'] : [] });
  const calledAt = Date.now();
  await fleet.start([entry('kubelet'), entry('kube-proxy')]);
  const of = (type: string) => started.filter((s) => s.type === type).map((s) => s.at);
  const [kubelets, proxies] = [of('kubelet'), of('kube-proxy')];
  t.is(kubelets.length, 4);
  t.is(proxies.length, 4);
  // Started one entry after the other, the first kube-proxy would wait for the last kubelet.
  t.true(proxies[0]! < kubelets[3]!, `kube-proxy 0 at +${proxies[0]! - kubelets[0]!} ms, kubelet 3 at +${kubelets[3]! - kubelets[0]!} ms`);
  // Spread over the ramp on the clock: agent i is due at i/4 of it after the ramp began, which is after the call.
  // Measured from the call, a late timer or a slow first start only makes agent i later, so this holds on a busy
  // machine; measured from agent 0, a first start slower than 50 ms would have made the span look short.
  for (const times of [kubelets, proxies])
    for (const [i, at] of times.entries())
      t.true(at - calledAt >= (i * rampUpMs) / 4 - 2, `starts at +${times.map((time) => time - calledAt).join(', +')} ms after the call`);
  await fleet.waitSynced(30_000);
});
