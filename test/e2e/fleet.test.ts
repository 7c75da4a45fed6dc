import test, { type ExecutionContext } from 'ava';
import type { ClusterSpec } from '../../src/core/cluster.js';
import { kubeconfigIdentity } from '../../src/load/client.js';
import { Fleet } from '../../src/load/fleet.js';
import { catalog } from '../../src/plugins.js';
import { LoadBalancerProxy } from '../../src/load/proxy.js';
import type { RelistPolicy } from '../../src/core/agent-fleet.js';
import { clientModel } from '../../src/load/agents/reflector.js';
import { podsOnlyKubelet } from '../helpers/agents.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { until as untilHolds } from '../helpers/within.js';

test.before(async () => {
  await isolatedStateDir();
});

const agents = 40;

/** A real cluster with the runner's load-balancer proxy in front and an empty fleet behind it. */
async function fleetBehindProxy(t: ExecutionContext, spec: Partial<ClusterSpec> = {}): Promise<{ proxy: LoadBalancerProxy; fleet: Fleet }> {
  const cluster = await startCluster(t, spec);
  const proxy = new LoadBalancerProxy('127.0.0.1', Number(new URL(cluster.access.server).port));
  await proxy.start();
  t.teardown(() => proxy.stop());
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const fleet = new Fleet(`https://127.0.0.1:${proxy.port}`, tls, catalog.agents);
  t.teardown(() => fleet.stop());
  return { proxy, fleet };
}

/** Polled every 50 ms. */
const until = (condition: () => boolean, timeoutMs: number) => untilHolds(condition, timeoutMs, 50);

for (const [policy, expectedRv, gates] of [
  ['cache', '0', {}],
  ['quorum', '', {}],
  ['streaming', '', { WatchList: true }],
] as [RelistPolicy, string, Record<string, boolean>][]) {
  test.serial(`connection drop: every kubelet relists exactly once (${policy})`, async (t) => {
    const { proxy, fleet } = await fleetBehindProxy(t, { featureGates: gates });
    await fleet.start([
      { type: 'kubelet', off: podsOnlyKubelet, count: agents, relist: policy, paginate: false, rampUpMs: 0, backoff: { initialMs: 200, maxMs: 1000 } },
    ]);
    await fleet.waitSynced(30_000);
    const stats = fleet.stats.byType.get('kubelet')!;
    t.true(await until(() => stats.openWatches === agents, 10_000), `watches open: ${stats.openWatches}`);
    t.is(stats.relists, 0);

    const dropped = proxy.drop(1);
    t.true(dropped >= agents, `dropped ${dropped} connections`);
    t.true(await until(() => stats.relists >= agents && stats.openWatches === agents, 20_000), `relists ${stats.relists}, watches ${stats.openWatches}`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.is(stats.relists, agents, 'exactly one relist per agent');
    // Every LIST (first and relist) asked for the configured resourceVersion.
    t.deepEqual([...stats.resourceVersions], [[expectedRv, 2 * agents]]);
    const spread = Math.max(...stats.relistTimes) - Math.min(...stats.relistTimes);
    t.log(`${policy}: ${agents} relists within ${spread} ms of each other`);
  });
}

test.serial('a blackholed load balancer stalls watches; lifting it makes the agents relist', async (t) => {
  const { proxy, fleet } = await fleetBehindProxy(t);
  await fleet.start([
    { type: 'kubelet', off: podsOnlyKubelet, count: 10, relist: 'cache', paginate: true, rampUpMs: 0, backoff: { initialMs: 200, maxMs: 1000 } },
  ]);
  await fleet.waitSynced(30_000);
  const stats = fleet.stats.byType.get('kubelet')!;
  proxy.setBlackhole(true);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.is(stats.relists, 0, 'nothing breaks while bytes are swallowed');
  proxy.setBlackhole(false);
  proxy.drop(1);
  t.true(await until(() => stats.relists >= 10, 20_000));
});

test.serial('kube-proxy and cni-agent agents list what they should and watch it', async (t) => {
  const { fleet } = await fleetBehindProxy(t);
  await fleet.start([
    { type: 'kube-proxy', count: 3, relist: 'cache', paginate: false, rampUpMs: 0 },
    { type: 'cni-agent', count: 2, relist: 'quorum', paginate: true, rampUpMs: 0 },
  ]);
  await fleet.waitSynced(30_000);
  const kubeProxy = fleet.stats.byType.get('kube-proxy')!;
  const cni = fleet.stats.byType.get('cni-agent')!;
  // kube-proxy runs four informers (Services, EndpointSlices, its Node, ServiceCIDRs) per agent; a CNI agent ten (its pods, Services, ... Cilium's CRDs).
  t.is(kubeProxy.lists, 12);
  t.true(await until(() => kubeProxy.openWatches === 12 && cni.openWatches === 20, 10_000));
  t.deepEqual([...kubeProxy.resourceVersions], [['0', 12]]);
  // Every informer listed from etcd (quorum), one page each. A watch of a custom resource whose
  // watch cache is still initializing is refused (429), and a forced policy relists after it: so at least 20.
  t.deepEqual(
    [...cni.resourceVersions].map(([rv]) => rv),
    [''],
  );
  t.true(
    cni.lists - cni.relists === 20 && (cni.resourceVersions.get('') ?? 0) >= 20,
    JSON.stringify({ lists: cni.lists, relists: cni.relists, breaks: [...cni.breaks] }),
  );
  // The default/kubernetes Service exists, so kube-proxy's service LISTs carry it.
  t.true(kubeProxy.listBytes > 500);
});

for (const minor of [33, 37]) {
  test.serial(`client-go ${minor} model: one connection per agent, and a drop is a re-watch from the last resourceVersion, not a relist`, async (t) => {
    const { proxy, fleet } = await fleetBehindProxy(t);
    const client = { ...clientModel(minor), protocol: 'http2' as const };
    await fleet.start([{ type: 'kubelet', off: podsOnlyKubelet, count: agents, relist: 'client-go', client, paginate: false, rampUpMs: 0 }]);
    await fleet.waitSynced(30_000);
    const stats = fleet.stats.byType.get('kubelet')!;
    t.true(await until(() => stats.openWatches === agents, 10_000), `watches open: ${stats.openWatches}`);
    t.is(proxy.connections, agents, 'one HTTP/2 connection per agent');
    const sync = minor >= 35 ? 'WATCHLIST rv=' : 'LIST rv=0 limit=500';
    t.deepEqual(Object.fromEntries(stats.requests), { [sync]: agents, ...(minor >= 35 ? {} : { 'WATCH rv=last-synced': agents }) });

    // A watch cut within its first second with no event is one client-go relists ("very short watch"): let them age.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.true(proxy.drop(1) >= agents);
    t.true(await until(() => (stats.requests.get('WATCH rv=last-synced') ?? 0) >= (minor >= 35 ? 1 : 2) * agents && fleet.watching(), 20_000));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.is(stats.relists, 0, 'no agent relisted');
    t.is(stats.requests.get(sync), agents, 'the sync requests were not repeated');
    t.true(fleet.watching());
  });
}
