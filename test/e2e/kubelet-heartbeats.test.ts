import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdmissionregistrationV1Api, KubeConfig } from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { agentRequestsAuditPolicy, auditArgs, requestsOf } from '../../bench/audit-requests.js';
import { buildFleetGo, fleetGoEnv } from '../../bench/fleet-go-build.js';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../../src/binaries/versions.js';
import { clientModel } from '../../src/load/agents/reflector.js';
import { kubeconfigIdentity } from '../../src/load/client.js';
import { Fleet } from '../../src/load/fleet.js';
import { catalog } from '../../src/plugins.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { referenceIdentityArgs, startFleetGo } from '../helpers/fleet-go.js';
import { until } from '../helpers/within.js';

test.before(async () => {
  await isolatedStateDir();
});

const agents = 5;
const goFirstNode = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (counts: Record<string, number>, match: (request: string) => boolean) =>
  Object.entries(counts).reduce((total, [request, n]) => total + (match(request) ? n : 0), 0);

/** A ValidatingAdmissionPolicy that refuses every renewal (UPDATE) of a Lease in kube-node-lease: the kubelets' heartbeats fail. */
async function refuseNodeLeaseRenewals(kubeconfigPath: string): Promise<() => Promise<void>> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const name = 'refuse-node-lease-renewals';
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['coordination.k8s.io'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['leases'] }] },
        validations: [{ expression: "request.namespace != 'kube-node-lease'", message: 'node lease renewals refused by the test' }],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({ body: { metadata: { name }, spec: { policyName: name, validationActions: ['Deny'] } } });
  return async () => {
    await admission.deleteValidatingAdmissionPolicyBinding({ name });
    await admission.deleteValidatingAdmissionPolicy({ name });
  };
}

/** What one side asked while the renewals were refused, checked against what the kubelet does then; its refused renewals. */
function assertRefusedHeartbeats(t: ExecutionContext, who: string, counts: Record<string, number>, windowS: number): number {
  const refusedPuts = counts['PUT leases timeout=10s -> 422'] ?? 0;
  // Each 10 s sync: 5 PUTs of the Lease last written, a GET, 5 PUTs of the Lease read. The window holds two syncs
  // or more; a busy machine may push one past its end, so the floor is one and a half.
  t.true(refusedPuts >= agents * 10 * (windowS / 10 - 1), `${who}: 10 refused renewals per kubelet per sync (${refusedPuts})`);
  t.true((counts['GET leases timeout=10s'] ?? 0) >= agents, `${who}: the Lease read again after 5 refusals`);
  t.is(
    sum(counts, (r) => r.startsWith('LIST ')),
    0,
    `${who}: no LIST`,
  );
  return refusedPuts;
}

const rewatches = (counts: Record<string, number>) => sum(counts, (r) => /^(WATCH|WATCHLIST) /.test(r));

interface RefusedWindow {
  /** What each side asked while the renewals were refused, by request class. */
  refused: { ours: Record<string, number>; theirs: Record<string, number> };
  /** Connections our kubelets dialled in the window. */
  dialled: number;
  breaks: ReadonlyMap<string, number>;
}

/**
 * Five kubelets of ours and five of client-go's (bench/fleet-go, with DISABLE_HTTP2 over HTTP/1.1) on one apiserver;
 * their heartbeats checked, then 25 s of refused Lease renewals, then renewals allowed again and every informer back.
 */
async function refusedRenewals(t: ExecutionContext, protocol: 'http2' | 'http1'): Promise<RefusedWindow> {
  const binary = await buildFleetGo(defaultKubernetesVersion);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubelet-heartbeats-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const audit = await auditArgs(dir, agentRequestsAuditPolicy);
  const cluster = await startCluster(t, { apiserverArgs: audit.args });
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const fleet = new Fleet(cluster.access.server, tls, catalog.agents, { agentIdentities: { clientCa: () => cluster.clientCa() } });
  t.teardown(() => fleet.stop());
  const minor = parseKubernetesVersion(defaultKubernetesVersion).minor;
  await fleet.start([{ type: 'kubelet', count: agents, relist: 'client-go', client: { ...clientModel(minor), protocol }, paginate: false, rampUpMs: 0 }]);
  const identity = await referenceIdentityArgs(cluster, tls, 'kubelet', minor);
  const args = ['-kubeconfig', cluster.loadKubeconfigPath, '-server', cluster.access.server, '-kind', 'kubelet', '-agents', String(agents)];
  await startFleetGo(t, binary, [...args, '-first-index', String(goFirstNode), ...identity], fleetGoEnv(protocol));
  await fleet.waitSynced(60_000);
  // Two beats: every Lease exists and has its owner.
  await sleep(21_000);
  const ours = (since: number, until?: number) => requestsOf(audit.log, 'kubelet/v1.', since, until);
  const theirs = (since: number, until?: number) => requestsOf(audit.log, 'fleet-go-kubelet', since, until);
  const beforeAt = Date.now() - 10_000;
  for (const [who, counts] of [
    ['ours', await ours(beforeAt)],
    ["client-go's", await theirs(beforeAt)],
  ] as const) {
    t.true((counts['PUT leases timeout=10s'] ?? 0) >= agents, `${who}: Lease renewals carry the heartbeat client's timeout`);
    t.true((counts['GET nodes rv=0 timeout=10s'] ?? 0) >= agents, `${who}: so do Node status reads`);
  }
  const dialledBefore = fleet.stats.byType.get('kubelet')?.connections ?? 0;

  const allow = await refuseNodeLeaseRenewals(cluster.kubeconfigPath);
  // The policy takes a moment to be enforced; the window starts after it.
  const windowAt = Date.now() + 3000;
  const windowS = 25;
  await sleep(windowS * 1000 + 3000);
  const refused = { ours: await ours(windowAt, windowAt + windowS * 1000), theirs: await theirs(windowAt, windowAt + windowS * 1000) };
  t.log('renewals refused', refused);
  const puts = {
    ours: assertRefusedHeartbeats(t, 'ours', refused.ours, windowS),
    theirs: assertRefusedHeartbeats(t, "client-go's", refused.theirs, windowS),
  };
  t.true(puts.ours >= puts.theirs * 0.7 && puts.ours <= puts.theirs * 1.3, `as many refused renewals as client-go's: ${puts.ours} against ${puts.theirs}`);
  const kubelet = fleet.stats.byType.get('kubelet');
  const dialled = (kubelet?.connections ?? 0) - dialledBefore;

  await allow();
  await sleep(15_000);
  const healedAt = Date.now() - 8000;
  t.true(((await ours(healedAt))['PUT leases timeout=10s'] ?? 0) >= agents, 'once allowed, our renewals succeed again');
  t.true(await until(() => fleet.watching(), 30_000, 250), 'every informer of ours watches');
  return { refused, dialled, breaks: kubelet?.breaks ?? new Map() };
}

test.serial(
  "kubelet heartbeats refused: ours, as client-go's, renew through a client with a 10 s timeout, and over HTTP/2 repeated failures close only idle connections: the one carrying the watches stays",
  async (t) => {
    const { refused, dialled, breaks } = await refusedRenewals(t, 'http2');
    t.is(rewatches(refused.ours), 0, 'ours: no watch asked again');
    t.is(rewatches(refused.theirs), 0, "client-go's: no watch asked again");
    t.true((breaks.get('heartbeat failed again: idle connections closed') ?? 0) >= 8 * agents, 'ours counted the repeated failures');
    t.is(breaks.get('heartbeat failed again: connections closed'), undefined, 'and closed no connection in use');
    t.is(dialled, 0, 'so none of our kubelets dialled a new one');
  },
);

test.serial(
  "with DISABLE_HTTP2, repeated heartbeat failures close every connection (closeAllConns), ours as client-go's: the watches are asked again (WATCH, or WATCHLIST at their resourceVersion) about as often, and nothing is listed",
  async (t) => {
    const { refused, dialled, breaks } = await refusedRenewals(t, 'http1');
    const asked = { ours: rewatches(refused.ours), theirs: rewatches(refused.theirs) };
    // Every repeated failure cuts each of the kubelet's watches; each is asked again at its resourceVersion (no LIST, checked above).
    t.true(asked.theirs >= agents * 4, `client-go's kubelets asked their watches again (${asked.theirs})`);
    t.true(asked.ours >= asked.theirs * 0.5 && asked.ours <= asked.theirs * 2, `ours about as often: ${asked.ours} against ${asked.theirs}`);
    t.true((breaks.get('heartbeat failed again: connections closed') ?? 0) >= 8 * agents, 'ours counted the repeated failures');
    t.is(breaks.get('heartbeat failed again: idle connections closed'), undefined);
    t.true(dialled >= asked.ours / 2, `a watch asked again goes over a new connection (or one a request freed): ${dialled} dialled`);
  },
);
