import test, { type ExecutionContext } from 'ava';
import { crdBurst } from '../../src/faults/crd-burst.js';
import { createFaultEnvironment } from '../../src/faults/environment.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { seed } from '../../src/load/seed.js';
import { catalog } from '../../src/plugins.js';

test.before(async () => {
  await isolatedStateDir();
});

/** A fresh cluster, the fault run on it with `params`, and what its crd-burst-done event reported. */
async function runCrdBurst(t: ExecutionContext, params: Omit<Parameters<typeof crdBurst.run>[0], 'type'>) {
  const cluster = await startCluster(t);
  const events: { type: string; extra?: Record<string, unknown> }[] = [];
  const { context, close } = await createFaultEnvironment(cluster, {
    agentKinds: catalog.agents,
    stats: new ClientStats(),
    signal: new AbortController().signal,
    event: (type, _message, extra) => void events.push({ type, extra }),
  });
  t.teardown(close);
  await crdBurst.run({ type: 'crd-burst', ...params }, context);
  return { client: context.client, done: events.find((e) => e.type === 'crd-burst-done')?.extra };
}

test('crd-burst installs CRDs across groups and measures discovery with and without the client rate limit', async (t) => {
  const burst = await runCrdBurst(t, { count: 24, groups: 6, discoveryQps: 10, discoveryBurst: 5, schema: 'small' });
  const { client } = burst;
  const done = burst.done as {
    crds: number;
    failed: number;
    discoveryRequests: number;
    discoveryLimitedMs: number;
    discoveryUnlimitedMs: number;
    openapiV2Bytes: number;
    aggregatedDiscoveryBytes: number;
    apiserverBytesPerCrd?: number;
  };
  t.is(done.crds, 24);
  t.is(done.failed, 0);
  const crds = await client.json<{ items: { spec: { group: string } }[] }>('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  t.is(new Set(crds.items.map((c) => c.spec.group)).size, 6);
  // Six new group-versions on top of the built-in ones; at 10 qps after a burst of 5 the walk cannot be faster than (n - 5) / 10 s.
  t.true(done.discoveryRequests > 6 + 20, `walked ${done.discoveryRequests} discovery paths`);
  t.true(done.discoveryLimitedMs >= ((done.discoveryRequests - 5) / 10) * 1000 * 0.9, `limited walk ${done.discoveryLimitedMs} ms`);
  t.true(done.discoveryUnlimitedMs < done.discoveryLimitedMs / 2, `unlimited walk ${done.discoveryUnlimitedMs} ms`);
  t.true(done.openapiV2Bytes > 1024 * 1024, 'the OpenAPI v2 document was fetched whole');
  t.true(done.aggregatedDiscoveryBytes > 0);
  t.true(typeof done.apiserverBytesPerCrd === 'number');
});

test('provider-sized CRDs: the apiserver takes both versions of the big schema, serves it in OpenAPI v3, and accepts custom resources of it', async (t) => {
  const { client, done: reported } = await runCrdBurst(t, { count: 4, groups: 2, discoveryQps: 0, discoveryBurst: 1, schema: 'provider' });
  const done = reported as {
    crds: number;
    failed: number;
    openapiV3GroupVersions: number;
    openapiV3GroupsBytes: number;
  };
  t.like(done, { crds: 4, failed: 0, openapiV3GroupVersions: 2 });
  // Two groups of two kinds, each kind's schema 104 KB as JSON: the v3 documents carry all four.
  t.true(done.openapiV3GroupsBytes > 4 * 100_000, `OpenAPI v3 of the new groups: ${done.openapiV3GroupsBytes} bytes`);
  const crds = await client.json<{ items: { spec: { versions: { name: string; storage: boolean; schema: unknown }[] } }[] }>(
    'GET',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  );
  for (const crd of crds.items) {
    t.deepEqual(
      crd.spec.versions.map((v) => [v.name, v.storage]),
      [
        ['v1beta1', false],
        ['v1', true],
      ],
    );
    t.true(JSON.stringify(crd.spec.versions[0]!.schema).length > 100_000);
  }
  const [set] = await seed(
    [
      { kind: 'crds', name: 'big', count: 2, crdSchema: 'provider', qps: 0 },
      { kind: 'customresources', name: 'objs', count: 10, crdSet: 'big', qps: 0 },
    ],
    { client, runId: 'provider-crd', experimentDir: '.', quiet: true, event: () => undefined },
  ).then((sets) => sets.slice(1));
  t.is(set!.objects.length, 10);
});
