import test from 'ava';
import { clientModel } from '../../src/load/agents/reflector.js';
import { ApiClient, kubeconfigIdentity } from '../../src/load/client.js';
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

/** Requests API Priority and Fairness dispatched, by FlowSchema, and the apiserver's 401s and 403s. */
async function dispatched(admin: ApiClient): Promise<{ bySchema: Map<string, number>; refused: number }> {
  const text = (await admin.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  const wanted = new Set(['apiserver_flowcontrol_dispatched_requests_total', 'apiserver_request_total']);
  const samples = parseExposition(text, 0, {}, (name) => wanted.has(name));
  const bySchema = new Map<string, number>();
  let refused = 0;
  for (const { metric, labels, value } of samples) {
    if (metric === 'apiserver_flowcontrol_dispatched_requests_total') bySchema.set(labels.flow_schema!, (bySchema.get(labels.flow_schema!) ?? 0) + value);
    else if (labels.code === '401' || labels.code === '403') refused += value;
  }
  return { bySchema, refused };
}

test.serial(
  'on a local cluster each kubelet is its node to the apiserver and kube-proxies and CNI agents are kube-system ServiceAccounts, as API Priority and Fairness sees them',
  async (t) => {
    const cluster = await startCluster(t);
    const admin = await ApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
    t.teardown(() => admin.close());
    const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
    const fleet = new Fleet(cluster.access.server, tls, catalog.agents, {
      identity: { kubeconfigPath: cluster.loadKubeconfigPath },
      labels: { 'cpchaos.io/run': 'agent-identities-test' },
      agentIdentities: { clientCa: await cluster.clientCa() },
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
    t.is(after.refused - before.refused, 0, 'no request of theirs was refused (401 or 403)');
  },
);
