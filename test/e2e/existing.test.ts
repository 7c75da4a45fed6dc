import fs from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { defaultKubernetesVersion } from '../../src/binaries/versions.js';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { countLabelled, runSelector } from '../../src/cluster/cleanup.js';
import type { LocalCluster } from '../../src/cluster/local.js';
import { KubeApiClient } from '../../src/load/client.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import type { Summary } from '../../src/report/summary.js';
import { cliPath, isolatedStateDir, runCli, startCluster, writeExperiment } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

/**
 * A real control plane playing "someone's staging cluster", reached the way a managed
 * service is: a service-account bearer token (no client certificate), through a
 * kubeconfig with two contexts, the current one being the other.
 */
async function stagingCluster(t: ExecutionContext, rules?: V1PolicyRule[]): Promise<{ cluster: LocalCluster; kubeconfig: string }> {
  // The namespace controller finishes namespace deletion, as on any real cluster.
  const cluster = await startCluster(t, { components: ['controller-manager'] });
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfigPath);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'chaos' } } });
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  if (rules) await rbac.createClusterRole({ body: { metadata: { name: 'chaos' }, rules } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'chaos' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rules ? 'chaos' : 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'chaos', namespace: 'default' }],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name: 'chaos',
    namespace: 'default',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kubeconfig = path.join(path.dirname(cluster.kubeconfigPath), 'staging.kubeconfig');
  await fs.writeFile(
    kubeconfig,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'staging', cluster: { server: cluster.access.server, 'certificate-authority-data': Buffer.from(cluster.access.caPem!).toString('base64') } },
      ],
      users: [{ name: 'chaos', user: { token: token.status!.token } }],
      contexts: [
        { name: 'staging', context: { cluster: 'staging', user: 'chaos' } },
        { name: 'production', context: { cluster: 'staging', user: 'nobody' } },
      ],
      'current-context': 'production',
    }),
    { mode: 0o600 },
  );
  return { cluster, kubeconfig };
}

const experiment = (kubeconfig: string, extra = '') => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: staging-storm
cluster:
  provider: existing
  context: staging
  kubeconfig: ${kubeconfig}
seed:
  - kind: configmaps
    count: 80
    qps: 0
  - kind: pods
    count: 40
    qps: 0
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: pods
    clients: 2
    duration: 2s
  - type: node-join-burst
    nodes: 4
    within: 2s
    daemonSetPods: 1
  - type: crd-burst
    count: 3
    groups: 1
  - type: mixed-workload
    count: 20
    qps: 20
${extra}observe: 6s
hypotheses:
  - name: seeded objects intact
    builtin: objects-intact
  - name: pod LISTs answered
    metric: cpchaos_client_requests_total
    labels: { verb: list, resource: pods, code: "200" }
    aggregate: last
    comparator: ">"
    threshold: 0
`;

async function labelled(kubeconfig: string, selector = runSelector()): Promise<Record<string, number>> {
  const client = await KubeApiClient.fromKubeconfig(kubeconfig, new ClientStats(), { context: 'staging' });
  try {
    return await countLabelled(client, selector);
  } finally {
    client.close();
  }
}

async function waitNoneLabelled(kubeconfig: string, timeoutMs = 90_000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let left = await labelled(kubeconfig);
  while (Object.keys(left).length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    left = await labelled(kubeconfig);
  }
  if (left.customresourcedefinitions) console.error(`CRDs left: ${await crdsLeft(kubeconfig)}`);
  return left;
}

/** Each labelled CRD still there: whether it was deleted, and what its Terminating condition says (the apiserver's finalizer). */
async function crdsLeft(kubeconfig: string): Promise<string> {
  const client = await KubeApiClient.fromKubeconfig(kubeconfig, new ClientStats(), { context: 'staging' });
  try {
    const list = await client.json<{
      items: { metadata: { name: string; deletionTimestamp?: string }; status?: { conditions?: { type: string; reason?: string; message?: string }[] } }[];
    }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions?labelSelector=${encodeURIComponent(runSelector())}`);
    return JSON.stringify(list.items.map((crd) => ({ name: crd.metadata.name, deleted: crd.metadata.deletionTimestamp, conditions: crd.status?.conditions })));
  } finally {
    client.close();
  }
}

test('the existing provider refuses without the exact context typed, and refuses process faults and OOM checks', async (t) => {
  const { dir, file } = await writeExperiment('existing-refusals', experiment('/nonexistent/kubeconfig'));
  const missing = await runCli(['run', file, '--results', dir]);
  t.is(missing.exitCode, 2);
  t.regex(missing.stderr, /targets the existing cluster of context "staging"; to run it, pass --target-existing staging/);
  const wrong = await runCli(['run', file, '--results', dir, '--target-existing', 'production']);
  t.is(wrong.exitCode, 2);
  t.regex(wrong.stderr, /--target-existing production does not match the experiment's context "staging"; refusing/);
  t.deepEqual(await fs.readdir(dir), ['existing-refusals.yaml'], 'nothing ran, no results written');

  const processFault = await writeExperiment(
    'existing-process-fault',
    experiment('/k')
      .replace('faults:\n', 'faults:\n  - type: kill-process\n    component: apiserver\n')
      .replace('hypotheses:\n', 'hypotheses:\n  - name: no oom\n    builtin: not-oom-killed\n'),
  );
  const refused = await runCli(['validate', processFault.file]);
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, /:\d+:\d+: faults\[0\]\.type: kill-process runs on the local or kind provider only, not existing/);
  t.regex(refused.stderr, /:\d+:\d+: hypotheses\[0\]\.builtin: not-oom-killed needs to see the control plane's processes/);
  const settings = await writeExperiment(
    'existing-settings',
    experiment('/k').replace('  context: staging\n', '  context: staging\n  memoryLimits: { apiserver: 1Gi }\n'),
  );
  const refusedSettings = await runCli(['validate', settings.file]);
  t.regex(refusedSettings.stderr, /cluster\.memoryLimits: memoryLimits does not apply to the existing provider \(it takes: context, kubeconfig\)/);
});

test('with consent, client-side faults run against the existing cluster over a token identity, and everything created is removed', async (t) => {
  const { cluster, kubeconfig } = await stagingCluster(t);
  const { dir, file } = await writeExperiment('existing-run', experiment(kubeconfig));
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'staging-1', '--target-existing', 'staging']);
  t.is(result.exitCode, 0, result.all);
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'staging-1', 'summary.json'), 'utf8')) as Summary;
  t.like(summary.cluster, { provider: 'existing', name: 'staging', kubernetesVersion: defaultKubernetesVersion });
  t.like(
    summary.verdicts.find((v) => v.name === 'seeded objects intact'),
    { status: 'held', observed: 120 },
  );
  for (const [verb, resource] of [
    ['create', 'nodes'],
    ['create', 'customresourcedefinitions'],
    ['list', 'pods'],
  ]) {
    t.true(
      summary.client.some((c) => c.verb === verb && c.resource === resource && (c.codes['201'] ?? c.codes['200'] ?? 0) > 0),
      `${verb} ${resource} went through`,
    );
  }
  // The apiserver's /metrics came through the token too.
  const metrics = await fs.readFile(path.join(dir, 'staging-1', 'metrics.ndjson'), 'utf8');
  t.regex(metrics, /"metric":"apiserver_current_inflight_requests"/);

  t.deepEqual(await waitNoneLabelled(kubeconfig), {}, 'no object of the run is left');
  t.true(
    (await cluster.status()).every((c) => c.alive),
    'the cluster itself is left running: it is not ours',
  );
  // What was there before the run is untouched.
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfigPath);
  t.is((await admin.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name: 'chaos', namespace: 'default' })).metadata?.name, 'chaos');
});

test('with just the ClusterRole `cpchaos schedule` derives, and not cluster-admin, the same run and a connection drop pass and leave nothing', async (t) => {
  const text = experiment('/k', '  - type: connection-drop\n    at: 1s\n');
  const { file: draft } = await writeExperiment('existing-derived-draft', text);
  const manifests = await runCli(['schedule', draft, '--cron', '0 3 * * *', '--image', 'x']);
  t.is(manifests.exitCode, 0, manifests.all);
  const role = (yaml.loadAll(manifests.stdout) as { kind: string; rules?: V1PolicyRule[] }[]).find((m) => m.kind === 'ClusterRole')!;
  const { kubeconfig } = await stagingCluster(t, role.rules);
  const { dir, file } = await writeExperiment('existing-derived', text.replace('kubeconfig: /k', `kubeconfig: ${kubeconfig}`));
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'derived', '--target-existing', 'staging']);
  t.is(result.exitCode, 0, result.all);
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'derived', 'summary.json'), 'utf8')) as Summary;
  const refused = summary.client.filter((c) => (c.codes['403'] ?? 0) > 0).map((c) => `${c.verb} ${c.resource}`);
  t.deepEqual(refused, [], 'no request of the run was forbidden');
  const events = await fs.readFile(path.join(dir, 'derived', 'events.ndjson'), 'utf8');
  const teardownErrors = events.split('\n').filter((line) => line.includes('"teardown-error"'));
  t.deepEqual(await waitNoneLabelled(kubeconfig), {}, `no object of the run is left; teardown errors: ${teardownErrors.join(' ') || 'none'}`);
});

test('a run killed mid-way leaves labelled objects; cpchaos down --existing --context removes them', async (t) => {
  const { kubeconfig } = await stagingCluster(t);
  const { dir, file } = await writeExperiment('existing-killed', experiment(kubeconfig));
  const run = execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', 'killed', '--target-existing', 'staging'], { reject: false });
  const events = path.join(dir, 'killed', 'events.ndjson');
  for (;;) {
    const text = await fs.readFile(events, 'utf8').catch(() => '');
    if (text.includes('"fault-start"') || run.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  run.kill('SIGKILL');
  await run;
  const left = await labelled(kubeconfig);
  t.true((left.configmaps ?? 0) >= 80 && (left.pods ?? 0) >= 40, `left behind: ${JSON.stringify(left)}`);

  const missingContext = await runCli(['down', '--existing', '--kubeconfig', kubeconfig]);
  t.is(missingContext.exitCode, 2);
  const down = await runCli(['down', '--existing', '--context', 'staging', '--kubeconfig', kubeconfig]);
  t.is(down.exitCode, 0, down.all);
  t.regex(down.stderr, /staging: deleted .*\d+ configmaps/);
  t.deepEqual(await waitNoneLabelled(kubeconfig), {});
});
