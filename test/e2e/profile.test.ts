import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import yaml from 'js-yaml';
import type { LocalCluster } from '../../src/cluster/local.js';
import type { Experiment, SeedSet } from '../../src/experiment/schema.js';
import { KubeApiClient } from '../../src/load/client.js';
import { seed } from '../../src/load/seed.js';
import { waitFor } from '../../src/util/wait.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import type { EventFn } from '../../src/core/sample.js';
import { catalog } from '../../src/plugins.js';
import type { ClusterShape, SizeStats } from '../../src/profile/shape.js';
import { isolatedStateDir, runCli, startCluster } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

/** Strings of the source cluster that no profile may repeat: names, namespaces, labels, data, the run and CRD groups. */
const secrets = ['zebra', 'okapi-label-value', 'quokka-data', 'narwhal-annotation', 'profile-source-run'];

/** A known mix, named and labelled with the strings above, sizes spread over two orders of magnitude. */
const sourceSets: SeedSet[] = [
  {
    kind: 'configmaps',
    name: 'zebra-cm',
    namespace: 'zebra-team',
    namespaces: 3,
    count: 150,
    sizes: { min: 400, p50: 3000, p90: 12_000, p99: 40_000, max: 60_000 },
    template: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'zebra-{{index}}', labels: { owner: 'okapi-label-value' }, annotations: { note: 'narwhal-annotation' } },
      data: { secret: 'quokka-data-{{index}}' },
    },
  },
  { kind: 'secrets', name: 'zebra-secret', namespace: 'zebra-vault', count: 40, sizes: { min: 900, p50: 1500, p90: 5000, p99: 9000, max: 9500 } },
  { kind: 'services', name: 'zebra-svc', namespace: 'zebra-team', count: 20 },
  {
    kind: 'pods',
    name: 'zebra-pod',
    namespace: 'zebra-team',
    namespaces: 2,
    count: 60,
    sizes: { min: 3000, p50: 6000, p90: 15_000, p99: 25_000, max: 30_000 },
  },
  { kind: 'deployments', name: 'zebra-deploy', namespace: 'zebra-team', count: 6, replicas: 2 },
  { kind: 'crds', name: 'zebra-defs', count: 4, groups: 2 },
  {
    kind: 'customresources',
    name: 'zebra-cr',
    crdSet: 'zebra-defs',
    namespace: 'zebra-team',
    count: 80,
    sizes: { min: 500, p50: 2000, p90: 8000, p99: 16_000, max: 20_000 },
  },
].map((s) => ({ ...s, qps: 0 }) as SeedSet);

async function seedInto(cluster: LocalCluster, sets: SeedSet[], runId: string): Promise<void> {
  const client = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  const events: string[] = [];
  try {
    const seeded = await seed(sets, {
      client,
      runId,
      experimentDir: os.tmpdir(),
      quiet: true,
      event: ((type: string, m: string) => void events.push(`${type}: ${m}`)) as EventFn,
    });
    for (const set of seeded) if (set.failed) throw new Error(`${set.name}: ${set.failed} failed: ${events.join('; ')}`);
  } finally {
    client.close();
  }
}

/** Until the controller-manager has published every namespace's CA bundle and made the deployments' ReplicaSets. */
async function derived(cluster: LocalCluster): Promise<void> {
  const client = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  const count = async (path: string) => (await client.json<{ items: unknown[] }>('GET', path)).items.length;
  try {
    await waitFor(
      'kube-root-ca.crt in every namespace and 6 ReplicaSets',
      async () =>
        (await count('/api/v1/configmaps?fieldSelector=metadata.name%3Dkube-root-ca.crt')) === (await count('/api/v1/namespaces')) &&
        (await count('/apis/apps/v1/replicasets')) === 6,
      { timeoutMs: 60_000 },
    );
  } finally {
    client.close();
  }
}

async function contextOf(cluster: LocalCluster): Promise<string> {
  return (yaml.load(await fs.readFile(cluster.kubeconfigPath, 'utf8')) as { 'current-context': string })['current-context'];
}

async function profile(
  cluster: LocalCluster,
  dir: string,
  name: string,
  extra: string[] = [],
): Promise<{ shape: ClusterShape; fragment: string; stderr: string }> {
  const out = path.join(dir, `${name}.yaml`);
  const json = path.join(dir, `${name}.json`);
  const result = await runCli([
    'profile',
    '--context',
    await contextOf(cluster),
    '--kubeconfig',
    cluster.kubeconfigPath,
    '--out',
    out,
    '--json',
    json,
    '--page-size',
    '25',
    ...extra,
  ]);
  if (result.exitCode !== 0) throw new Error(result.all);
  return { shape: JSON.parse(await fs.readFile(json, 'utf8')) as ClusterShape, fragment: await fs.readFile(out, 'utf8'), stderr: result.stderr };
}

/** What users wrote, per kind the fragment rebuilds: count and size quantiles. */
function usersObjects(shape: ClusterShape): Record<string, { count: number; sizes?: SizeStats }> {
  const pick = (o: ClusterShape['custom']['byUsers']) => ({ count: o.count, sizes: o.sizes });
  const keys = ['configmaps', 'secrets', 'services', 'pods', 'deployments.apps', 'customresourcedefinitions.apiextensions.k8s.io'];
  return { ...Object.fromEntries(keys.map((k) => [k, pick(shape.builtin[k]!.byUsers)])), custom: pick(shape.custom.byUsers) };
}

test('profile a known mix, rebuild it from the profile on a fresh cluster, profile again: same counts, size quantiles within 5 %, no source string', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-profile-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  // The controller-manager makes what a real control plane derives: kube-root-ca.crt per namespace, ReplicaSets and their pods.
  const source = await startCluster(t, { components: ['controller-manager'] });
  await seedInto(source, sourceSets, 'profile-source-run');
  await derived(source);
  const first = await profile(source, dir, 'first');

  const users = usersObjects(first.shape);
  t.like(users, { configmaps: { count: 150 }, secrets: { count: 40 }, services: { count: 20 }, pods: { count: 60 }, 'deployments.apps': { count: 6 } });
  t.is(users['customresourcedefinitions.apiextensions.k8s.io']!.count, 4);
  t.is(users.custom!.count, 80);
  t.is(first.shape.crds.groups, 2);
  t.is(first.shape.custom.kinds, 4);
  t.true(first.shape.builtin.configmaps!.byControlPlane.count >= 5, 'kube-root-ca.crt of each namespace is the control plane’s');
  t.true(first.shape.builtin['replicasets.apps']!.byControlPlane.count === 6, 'the ReplicaSets of the deployments are the control plane’s');
  t.true(first.shape.apf.flowSchemas > 0 && first.shape.apf.priorityLevels.length > 0);

  const everything = `${first.fragment}\n${JSON.stringify(first.shape)}`;
  for (const secret of secrets) t.false(everything.includes(secret), `the profile repeats "${secret}"`);

  const fragment = yaml.load(first.fragment) as Pick<Experiment, 'seed' | 'agents'>;
  const experiment = {
    apiVersion: 'cpchaos.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name: 'rebuilt' },
    ...fragment,
    hypotheses: [{ name: 'alive', builtin: 'not-oom-killed' }],
  };
  t.deepEqual(catalog.schemaProblems(experiment), [], 'the fragment is valid in an experiment');

  const copy = await startCluster(t, { components: ['controller-manager'] });
  await seedInto(copy, fragment.seed!, 'profile-copy-run');
  await derived(copy);
  const second = await profile(copy, dir, 'second');
  const again = usersObjects(second.shape);
  let worst = 0;
  for (const [kind, measured] of Object.entries(users)) {
    t.is(again[kind]!.count, measured.count, `${kind}: count`);
    for (const q of ['p50', 'p90', 'p99'] as const) {
      const [a, b] = [measured.sizes![q], again[kind]!.sizes![q]];
      worst = Math.max(worst, Math.abs(b - a) / a);
      t.true(Math.abs(b - a) / a <= 0.05, `${kind} ${q}: ${a} bytes in the source, ${b} rebuilt`);
    }
  }
  t.log(`largest quantile difference: ${(worst * 100).toFixed(1)} %`);
  t.is(second.shape.builtin['replicasets.apps']!.byControlPlane.count, 6, 'the rebuilt deployments derive their ReplicaSets again');

  const doubled = yaml.load((await profile(source, dir, 'doubled', ['--scale', '2'])).fragment) as Pick<Experiment, 'seed'>;
  t.deepEqual(
    doubled.seed!.map((s) => [s.kind, s.count]),
    fragment.seed!.map((s) => [s.kind, s.count * 2]),
  );
  t.notRegex(first.stderr + first.fragment, /warning/, 'a small cluster is within the documented limits');

  // 60 pods (and those of the deployments) × 3,000 is past the 150,000 pods per cluster within which Kubernetes promises its SLOs.
  const huge = await profile(source, dir, 'huge', ['--scale', '3000']);
  const pastLimit = /warning: (18\d|19\d|2\d\d),\d{3} pods is past 150,000 per cluster, the documented limit \(sig-scalability thresholds\.md\)/;
  t.regex(huge.stderr, new RegExp(`^profile: ${pastLimit.source}`, 'm'));
  t.regex(huge.fragment, new RegExp(`^# ${pastLimit.source}`, 'm'));
});

test('profile needs the context spelled out, and names a context the kubeconfig lacks', async (t) => {
  const missing = await runCli(['profile']);
  t.is(missing.exitCode, 2);
  t.regex(missing.stderr, /--context/);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-profile-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'config');
  await fs.writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const wrong = await runCli(['profile', '--context', 'prod', '--kubeconfig', kubeconfig]);
  t.is(wrong.exitCode, 2, wrong.all);
  t.regex(wrong.stderr, /^cpchaos: profile: .*has no context "prod"$/);
});
