import test from 'ava';
import { clientModel } from '../../src/load/agents/reflector.js';
import { KubeApiClient, kubeconfigIdentity } from '../../src/load/client.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { Fleet, type FleetSpec } from '../../src/load/fleet.js';
import { catalog } from '../../src/plugins.js';
import { parseExposition } from '../../src/metrics/scrapers/prometheus.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

const client = { ...clientModel(37), protocol: 'http2' as const };
const spec = (type: string, count: number, workers = 1): FleetSpec => ({ type, count, relist: 'client-go', client, paginate: false, rampUpMs: 0, workers });

/**
 * Requests API Priority and Fairness dispatched, by FlowSchema, and the requests the apiserver
 * could not authenticate (401s never reach apiserver_request_total: they end in a filter before it).
 */
async function dispatched(admin: KubeApiClient): Promise<{ bySchema: Map<string, number>; unauthenticated: number }> {
  const text = (await admin.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  const wanted = new Set(['apiserver_flowcontrol_dispatched_requests_total', 'authentication_attempts']);
  const samples = parseExposition(text, 0, {}, (name) => wanted.has(name));
  const bySchema = new Map<string, number>();
  let unauthenticated = 0;
  for (const { metric, labels, value } of samples) {
    if (metric === 'apiserver_flowcontrol_dispatched_requests_total') bySchema.set(labels.flow_schema!, (bySchema.get(labels.flow_schema!) ?? 0) + value);
    else if (labels.result !== 'success') unauthenticated += value;
  }
  return { bySchema, unauthenticated };
}

/** What the agents' writes were refused for (401, 403, ...), as they count it. */
function refusedWrites(fleet: Fleet): string[] {
  return [...fleet.stats.byType.values()].flatMap((stats) => [...stats.breaks.keys()].filter((reason) => / -> 4\d\d$/.test(reason)));
}

test.serial(
  'on a local cluster each kubelet is its node to the apiserver and kube-proxies and CNI agents are kube-system ServiceAccounts, as API Priority and Fairness sees them',
  async (t) => {
    const cluster = await startCluster(t);
    const admin = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
    t.teardown(() => admin.close());
    const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
    const fleet = new Fleet(cluster.access.server, tls, catalog.agents, {
      identity: { kubeconfigPath: cluster.loadKubeconfigPath },
      labels: { 'cpchaos.io/run': 'agent-identities-test' },
      agentIdentities: { clientCa: () => cluster.clientCa() },
    });
    t.teardown(() => fleet.stop());
    const before = await dispatched(admin);
    // Kubelets in two worker threads: each signs its own nodes' certificates with the CA it was handed.
    await fleet.start([spec('kubelet', 6, 2), spec('kube-proxy', 3), spec('cni-agent', 3)]);
    await fleet.waitSynced(60_000);
    const deadline = Date.now() + 30_000;
    const kubelets = () => fleet.stats.byType.get('kubelet')!.requests;
    while ((!fleet.watching() || (kubelets().get('PATCH nodes/status') ?? 0) < 6) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    t.true(fleet.watching(), 'every informer watches');
    t.is(kubelets().get('PATCH nodes/status'), 6, 'each kubelet patched its own Node status, as the Node authorizer lets it');

    const after = await dispatched(admin);
    const delta = (schema: string) => (after.bySchema.get(schema) ?? 0) - (before.bySchema.get(schema) ?? 0);
    t.log(Object.fromEntries([...after.bySchema.keys()].map((schema) => [schema, delta(schema)]).filter(([, d]) => d)));
    // system-nodes: the kubelets' pods, Services and RuntimeClasses watches; system-node-high: all they ask of Nodes (their
    // watch, registration, status) and of Leases.
    t.true(delta('system-nodes') >= 6 * 3, `system-nodes dispatched ${delta('system-nodes')}`);
    t.true(delta('system-node-high') >= 6 * 4, `system-node-high dispatched ${delta('system-node-high')}`);
    // kube-proxy's four informers and the CNI agent's ten, and its CiliumNode.
    t.true(delta('kube-system-service-accounts') >= 3 * 4 + 3 * 10, `kube-system-service-accounts dispatched ${delta('kube-system-service-accounts')}`);
    t.is(after.unauthenticated - before.unauthenticated, 0, 'the apiserver authenticated every request (no 401)');
    // A read refused (403) would leave its informer unsynced, above; a write refused is counted by the agent.
    t.deepEqual(refusedWrites(fleet), [], 'no write was refused');
  },
);

/** Requests the apiserver could not authenticate (401s), and TokenRequests it answered. */
async function tokenTraffic(admin: KubeApiClient): Promise<{ unauthenticated: number; tokenRequests: number }> {
  const text = (await admin.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  const samples = parseExposition(text, 0, {}, (name) => name === 'apiserver_request_total' || name === 'authentication_attempts');
  const sum = (match: (metric: string, labels: Record<string, string>) => boolean) =>
    samples.filter(({ metric, labels }) => match(metric, labels)).reduce((total, { value }) => total + value, 0);
  return {
    unauthenticated: sum((metric, labels) => metric === 'authentication_attempts' && labels.result !== 'success'),
    tokenRequests: sum((metric, labels) => metric === 'apiserver_request_total' && labels.subresource === 'token' && labels.code === '201'),
  };
}

test.serial('kube-proxies whose ServiceAccount was made again (its tokens revoked) renew their token and watch again after a drop', async (t) => {
  const cluster = await startCluster(t);
  const admin = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  t.teardown(() => admin.close());
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const labels = { 'cpchaos.io/run': 'token-renewal-test' };
  const fleet = new Fleet(cluster.access.server, tls, catalog.agents, {
    identity: { kubeconfigPath: cluster.loadKubeconfigPath },
    labels,
    agentIdentities: {},
  });
  t.teardown(() => fleet.stop());
  // Two worker threads: each renews the token it was handed on its own, as each kube-proxy pod's kubelet does.
  await fleet.start([spec('kube-proxy', 4, 2)]);
  await fleet.waitSynced(60_000);

  const accounts = await admin.json<{ items: { metadata: { name: string } }[] }>(
    'GET',
    `/api/v1/namespaces/kube-system/serviceaccounts?labelSelector=${encodeURIComponent('cpchaos.io/run=token-renewal-test')}`,
  );
  t.is(accounts.items.length, 1, "the run's kube-proxy ServiceAccount");
  const name = accounts.items[0]!.metadata.name;
  await admin.json('DELETE', `/api/v1/namespaces/kube-system/serviceaccounts/${name}`);
  await admin.json('POST', '/api/v1/namespaces/kube-system/serviceaccounts', { body: { metadata: { name, labels } } });
  // The apiserver caches a token it accepted for 10 s (--authentication-token-success-cache-ttl): past that, the old one is refused.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const before = await tokenTraffic(admin);

  const reset = await fleet.resetConnections(1);
  t.is(reset.reset, 4, "every kube-proxy's one connection");
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const deadline = Date.now() + 60_000;
  while (!fleet.watching() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  t.true(fleet.watching(), 'every informer watches again');
  const after = await tokenTraffic(admin);
  t.true(after.unauthenticated > before.unauthenticated, `the revoked token was refused (${after.unauthenticated - before.unauthenticated} 401s)`);
  t.true(after.tokenRequests - before.tokenRequests >= 2, `each thread asked for a new token (${after.tokenRequests - before.tokenRequests} TokenRequests)`);
});
