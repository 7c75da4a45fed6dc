import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { KubeApiClient } from '../../src/load/client.js';
import { checkIntegrity, seed } from '../../src/load/seed.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import type { EventFn } from '../../src/core/sample.js';
import type { SeedSet } from '../../src/experiment/schema.js';
import type { LocalCluster } from '../../src/cluster/local.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

test('every object kind seeds, from built-in shapes and from templates, and the integrity check sees them all', async (t) => {
  const cluster = await startCluster(t);
  const stats = new ClientStats();
  const client = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, stats);
  t.teardown(() => client.close());
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-templates-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.writeFile(
    path.join(dir, 'secret.yaml'),
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: "tmpl-{{index}}"\nstringData:\n  owner: "set {{set}} #{{index}}"\n',
  );

  const sets: SeedSet[] = [
    { kind: 'namespaces', count: 3 },
    { kind: 'secrets', count: 5, dataSize: '1Ki' },
    { kind: 'services', count: 4 },
    { kind: 'deployments', count: 2, replicas: 0 },
    { kind: 'pods', count: 4, namespaces: 2, namespace: 'spread' },
    { kind: 'crds', name: 'defs', count: 3, groups: 2 },
    { kind: 'customresources', name: 'crs', crdSet: 'defs', count: 6 },
    {
      kind: 'configmaps',
      name: 'templated',
      count: 3,
      template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-{{index}}' }, data: { index: '{{index}}', set: '{{set}}' } },
    },
    { kind: 'secrets', name: 'from-file', count: 2, templateFile: 'secret.yaml' },
  ];
  const events: string[] = [];
  const seeded = await seed(sets, {
    client,
    runId: 'kinds',
    experimentDir: dir,
    quiet: true,
    event: ((type: string, message: string) => void events.push(`${type}: ${message}`)) as EventFn,
  });
  t.deepEqual(
    seeded.map((s) => [s.name, s.objects.length, s.failed]),
    [
      ['namespaces', 3, 0],
      ['secrets', 5, 0],
      ['services', 4, 0],
      ['deployments', 2, 0],
      ['pods', 4, 0],
      ['defs', 3, 0],
      ['crs', 6, 0],
      ['templated', 3, 0],
      ['from-file', 2, 0],
    ],
    events.join('\n'),
  );
  t.deepEqual(
    seeded.find((s) => s.name === 'pods')?.objects.map((o) => o.namespace),
    ['spread-0', 'spread-1', 'spread-0', 'spread-1'],
  );
  t.deepEqual([...new Set(seeded.find((s) => s.name === 'defs')?.crds?.map((c) => c.group))].sort(), ['g0.defs.cpchaos.io', 'g1.defs.cpchaos.io']);

  const integrity = await checkIntegrity(client, seeded);
  for (const result of integrity) t.deepEqual([result.set, result.found, result.missing], [result.set, result.expected, []]);

  // Templates are rendered per object and labelled like every seeded object.
  const cm = await client.json<{ metadata: { labels: Record<string, string> }; data: Record<string, string> }>(
    'GET',
    '/api/v1/namespaces/cpchaos-seed/configmaps/cm-2',
  );
  t.deepEqual(cm.data, { index: '2', set: 'templated' });
  t.is(cm.metadata.labels['cpchaos.io/set'], 'templated');
  t.is(cm.metadata.labels['cpchaos.io/run'], 'kinds');
  const secret = await client.json<{ data: Record<string, string> }>('GET', '/api/v1/namespaces/cpchaos-seed/secrets/tmpl-1');
  t.is(Buffer.from(secret.data.owner!, 'base64').toString(), 'set from-file #1');

  // A custom resource deleted behind the run's back is caught.
  const victim = seeded.find((s) => s.name === 'crs')!.objects[4]!;
  t.is((await client.request('DELETE', victim.path)).status, 200);
  const after = await checkIntegrity(
    client,
    seeded.filter((s) => s.name === 'crs'),
  );
  t.deepEqual(after[0]?.missing, [`cpchaos-seed/${victim.name}`]);
});

/** Once the namespace exists (read as the admin, whom the in-flight limits exempt), etcd stops for `ms`. */
async function freezeEtcdOnce(t: ExecutionContext, cluster: LocalCluster, namespace: string, ms: number): Promise<void> {
  const admin = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  try {
    for (let tries = 0; tries < 1_500; tries++) {
      const response = await admin.request('GET', `/api/v1/namespaces/${namespace}`);
      if (response.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    admin.close();
  }
  const etcd = cluster.processes().find((p) => p.component === 'etcd')!;
  const resume = () => {
    try {
      process.kill(etcd.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  };
  t.teardown(resume);
  process.kill(etcd.pid, 'SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, ms));
  resume();
}

test('seeding rides out 429s from a throttled apiserver by retrying, and counts them', async (t) => {
  // Without APF the apiserver answers 429 as soon as more than one mutating request is in flight,
  // to every identity but system:masters: hence the load identity.
  const cluster = await startCluster(t, {
    apiserverArgs: { 'enable-priority-and-fairness': 'false', 'max-mutating-requests-inflight': '1', 'max-requests-inflight': '1' },
  });
  const stats = new ClientStats();
  const client = await KubeApiClient.fromKubeconfig(cluster.loadKubeconfigPath, stats);
  t.teardown(() => client.close());
  const seeding = seed([{ kind: 'configmaps', count: 200, qps: 0, concurrency: 30 }], {
    client,
    runId: 'throttled',
    experimentDir: '.',
    quiet: true,
    event: () => undefined,
  });
  // A client slowed by a busy machine may send its creates one after the other, and never two at once (CI saw
  // 200 creates and no 429). With etcd frozen for a moment once the namespace exists, the create in flight waits
  // on it, and every other one meanwhile is answered 429, however slowly they come.
  await freezeEtcdOnce(t, cluster, 'cpchaos-seed', 1_500);
  const [set] = await seeding;
  t.is(set?.objects.length, 200);
  t.is(set?.failed, 0);
  const creates = stats.totals().find((c) => c.verb === 'create' && c.resource === 'configmaps');
  t.log(JSON.stringify(creates?.codes));
  t.true((creates?.codes['429'] ?? 0) > 0, `429s were answered and retried: ${JSON.stringify(creates?.codes)}`);
  t.is(creates?.codes['201'], 200);
});
