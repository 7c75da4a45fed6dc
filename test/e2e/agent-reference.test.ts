import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { agentRequestsAuditPolicy, auditArgs, requestsOf, usersOf } from '../../bench/audit-requests.js';
import { buildFleetGo } from '../../bench/fleet-go-build.js';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../../src/binaries/versions.js';
import { ensureCrds } from '../../src/load/agents/crds.js';
import { clientModel } from '../../src/load/agents/reflector.js';
import { Http2Wire } from '../../src/load/agents/wire-http2.js';
import { Cancellation } from '../../src/util/cancellation.js';
import { kubeconfigIdentity } from '../../src/load/client.js';
import { Fleet } from '../../src/load/fleet.js';
import { podObjectsType } from '../../src/load/agents/pod-object-watches.js';
import { LoadBalancerProxy } from '../../src/load/proxy.js';
import { catalog } from '../../src/plugins.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { referenceIdentityArgs, startFleetGo } from '../helpers/fleet-go.js';

test.before(async () => {
  await isolatedStateDir();
});

const agents = 10;
/** client-go's agents are nodes from here on, ours from 0. */
const goFirstNode = 1000;
/** Long enough for every periodic write to beat twice (at start and about 10 s later). */
const steadyMs = 15_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Pods on both fleets' nodes and a few Services, so every informer has something to list and watch.
 * Each pod names a ConfigMap in a volume, a Secret in an env var, through a projected volume
 * kube-root-ca.crt (which need not exist, as for a kubelet), and the immutable ConfigMap "frozen":
 * the kubelets watch each of those objects, "frozen" only until they have read it. Agent i of either fleet gets the same names, so both fleets ask for the same objects.
 */
async function seedObjects(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const pod = (node: number, i: number) => ({
    metadata: { name: `p-${node}` },
    spec: {
      nodeName: `cpchaos-node-${node}`,
      volumes: [
        { name: 'settings', configMap: { name: `cm-${i % 3}` } },
        { name: 'ca', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } },
        { name: 'frozen', configMap: { name: 'frozen' } },
      ],
      containers: [{ name: 'c', image: 'none', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: `secret-${i % 2}`, key: 'p' } } }] }],
    },
  });
  await Promise.all([
    ...[...Array(agents).keys()].flatMap((i) => [i, goFirstNode + i].map((node) => core.createNamespacedPod({ namespace: 'default', body: pod(node, i) }))),
    ...[0, 1, 2].map((i) => core.createNamespacedService({ namespace: 'default', body: { metadata: { name: `s-${i}` }, spec: { ports: [{ port: 80 }] } } })),
    ...[0, 1, 2].map((i) => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `cm-${i}` }, data: { k: 'v' } } })),
    core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'frozen' }, data: { k: 'v' }, immutable: true } }),
    ...[0, 1].map((i) => core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: `secret-${i}` }, stringData: { p: 'x' } } })),
  ]);
}

/** The client-go reference fleet of `kind`, dialling through a relay the test can reset; resolves once every reflector has synced. */
async function startReference(t: ExecutionContext, binary: string, kind: string, kubeconfig: string, server: string, identity: string[]): Promise<void> {
  const args = ['-kubeconfig', kubeconfig, '-server', server, '-kind', kind, '-agents', String(agents), '-first-index', String(goFirstNode), ...identity];
  await startFleetGo(t, binary, args);
}

/** Who each kind's real agents are to the apiserver (AgentKind.identity): the user and groups both fleets must be taken for. */
const realUsers: Record<string, string> = {
  kubelet: 'system:node:<node> [system:authenticated,system:nodes]',
  'kube-proxy': 'system:serviceaccount:kube-system:<account> [system:authenticated,system:serviceaccounts,system:serviceaccounts:kube-system]',
};
realUsers['cni-agent'] = realUsers['kube-proxy']!;

const isInformer = (request: string) => /^(LIST|WATCH|WATCHLIST) /.test(request);

/**
 * Lists and watches must match one for one (but for those the server answered 429). Periodic reads and writes may be a beat apart per
 * agent, as the two fleets started apart, and so may the answers that depend on when they came
 * (a GET from the watch cache just before it holds the Node just registered: a 404, then a GET from etcd).
 */
function assertSameRequests(t: ExecutionContext, what: string, ours: Record<string, number>, theirs: Record<string, number>): void {
  // A 429 says when the server was ready (a watch cache still initializing), not what the client asked: both retry it.
  const informers = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).filter(([request]) => isInformer(request) && !request.endsWith(' -> 429')));
  t.deepEqual(informers(ours), informers(theirs), `${what}: the same lists and watches`);
  for (const request of new Set([...Object.keys(ours), ...Object.keys(theirs)].filter((r) => !isInformer(r)))) {
    const [mine, count] = [ours[request] ?? 0, theirs[request] ?? 0];
    t.true(Math.abs(mine - count) <= agents, `${what}: ${request}: ours ${mine}, client-go's ${count}`);
  }
  const writes = (counts: Record<string, number>) => Object.keys(counts).filter((r) => !isInformer(r) && !r.includes(' -> '));
  t.deepEqual(writes(ours).sort(), writes(theirs).sort(), `${what}: the same reads and writes beside the informers`);
}

/** Our kubelets watch the three objects each pod names; once the pods' deletion is asked, every one of those watches ends. */
async function podsGoneStopObjectWatches(t: ExecutionContext, fleet: Fleet, kubeconfigPath: string): Promise<void> {
  const objectWatches = () => fleet.stats.byType.get(podObjectsType('kubelet'))?.openWatches ?? 0;
  t.is(objectWatches(), 3 * agents, 'three object watches per kubelet: the immutable ConfigMap is no longer watched');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await Promise.all([...Array(agents).keys()].map((i) => core.deleteNamespacedPod({ namespace: 'default', name: `p-${i}` })));
  const deadline = Date.now() + 10_000;
  while (objectWatches() > 0 && Date.now() < deadline) await sleep(100);
  t.is(objectWatches(), 0, 'no object watch left once no live pod names them');
}

/** Each kubelet's first request for each object its pod names (agent i names cm-<i % 3>, secret-<i % 2> and kube-root-ca.crt), on both sides. */
function assertObjectWatches(t: ExecutionContext, steady: Record<'ours' | 'theirs', Record<string, number>>, watchList: boolean): void {
  const first = watchList ? 'WATCHLIST' : 'LIST';
  const tail = watchList ? 'rv=' : 'rv=0 limit=500';
  const objectSyncs = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).filter(([r]) => r.startsWith(`${first} configmaps `) || r.startsWith(`${first} secrets `)));
  const expected = Object.fromEntries(
    [
      ['configmaps', 'cm-0', 4],
      ['configmaps', 'cm-1', 3],
      ['configmaps', 'cm-2', 3],
      ['configmaps', 'kube-root-ca.crt', agents],
      ['configmaps', 'frozen', agents],
      ['secrets', 'secret-0', 5],
      ['secrets', 'secret-1', 5],
    ].map(([resource, name, count]) => [`${first} ${resource} fieldSelector=metadata.name=${name} ${tail}`, count]),
  );
  t.deepEqual(objectSyncs(steady.theirs), expected, "client-go's kubelets: one reflector per object their pod names");
  t.deepEqual(objectSyncs(steady.ours), expected, 'ours: the same');
}

/** Each kind at the default release; the kubelet also at 1.33, whose reflectors LIST (no WatchList) and so hand the pods over in list pages. */
const cases = [...['kubelet', 'kube-proxy', 'cni-agent'].map((kind) => ({ kind, version: defaultKubernetesVersion })), { kind: 'kubelet', version: 'v1.33.4' }];

for (const { kind, version } of cases) {
  test.serial(
    `${kind} (client-go ${version}), both as the real agents' users: ours and client-go's ask a real apiserver the same, by verb, resource and selector: sync, steady state, a connection reset`,
    async (t) => {
      const binary = await buildFleetGo(version);
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-reference-'));
      t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
      const audit = await auditArgs(dir, agentRequestsAuditPolicy);
      const cluster = await startCluster(t, { apiserverArgs: audit.args });
      await seedObjects(cluster.kubeconfigPath);
      const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
      const fleet = new Fleet(cluster.access.server, tls, catalog.agents, { agentIdentities: { clientCa: () => cluster.clientCa() } });
      t.teardown(() => fleet.stop());
      const relay = new LoadBalancerProxy('127.0.0.1', Number(new URL(cluster.access.server).port));
      await relay.start();
      t.teardown(() => relay.stop());

      const client = { ...clientModel(parseKubernetesVersion(version).minor), protocol: 'http2' as const };
      const watchList = client.watchList;
      // Custom resources the kind watches exist, and their watch caches are ready, before either fleet starts:
      // a watch of one still initializing is answered 429, whichever fleet comes first.
      const crds = catalog.agents.get(kind)?.crds?.() ?? [];
      if (crds.length) {
        const wire = new Http2Wire(cluster.access.server, tls, { cancellation: new Cancellation() });
        await ensureCrds(wire, crds, new Cancellation());
        wire.close();
        await sleep(3000);
      }
      const oursFrom = Date.now();
      // Ours first: the fleet installs the CNI agent's custom resources before its agents start.
      await fleet.start([{ type: kind, count: agents, relist: 'client-go', client, paginate: false, rampUpMs: 0 }]);
      const minor = parseKubernetesVersion(version).minor;
      const identity = await referenceIdentityArgs(cluster, tls, kind, minor);
      const theirsFrom = Date.now();
      await startReference(t, binary, kind, cluster.loadKubeconfigPath, `https://127.0.0.1:${relay.port}`, identity);
      await fleet.waitSynced(60_000);
      await sleep(Math.max(0, theirsFrom + steadyMs - Date.now()) + 1000);
      const ours = (since: number, until?: number) => requestsOf(audit.log, `${kind}/v1.`, since, until);
      const theirs = (since: number, until?: number) => requestsOf(audit.log, `fleet-go-${kind}`, since, until);
      const steady = { ours: await ours(oursFrom, oursFrom + steadyMs), theirs: await theirs(theirsFrom, theirsFrom + steadyMs) };
      t.log('sync and steady state', steady);
      const users = { ours: await usersOf(audit.log, `${kind}/v1.`, oursFrom), theirs: await usersOf(audit.log, `fleet-go-${kind}`, theirsFrom) };
      t.deepEqual(Object.keys(users.ours), [realUsers[kind]], `ours are ${realUsers[kind]}`);
      t.deepEqual(Object.keys(users.theirs), [realUsers[kind]], "client-go's the same");
      if (kind === 'kubelet') assertObjectWatches(t, steady, watchList);
      assertSameRequests(t, 'sync and steady state', steady.ours, steady.theirs);

      const resetAt = Date.now();
      const reset = await fleet.resetConnections(1);
      t.is(reset.reset, agents, 'one connection per agent, each reset');
      t.true(relay.drop(1) >= agents);
      await sleep(8000);
      const after = { ours: await ours(resetAt, resetAt + 8000), theirs: await theirs(resetAt, resetAt + 8000) };
      t.log('after a reset', after);
      assertSameRequests(t, 'after a reset', after.ours, after.theirs);
      if (kind === 'kubelet')
        t.false(
          Object.keys(after.ours).some((r) => r.includes('metadata.name=frozen')),
          'the immutable ConfigMap is not watched again',
        );
      t.true(fleet.watching(), 'every informer of ours watches again');
      if (kind === 'kubelet') await podsGoneStopObjectWatches(t, fleet, cluster.kubeconfigPath);
    },
  );
}
