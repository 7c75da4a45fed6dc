import { Type } from '@sinclair/typebox';
import { Name, PositiveInt, Default } from '../experiment/schema-parts.js';
import type { ApiClient } from '../core/api-client.js';
import { objectKinds } from '../load/objects/index.js';
import type { KubeObject } from '../load/objects/types.js';
import { TokenBucket } from '../util/rate-limiter.js';
import { sleep } from '../util/wait.js';
import type { ApiVerb } from '../core/access.js';
import { collectionPath } from '../load/resources.js';
import { defineFault, faultSchema } from './types.js';

const mixedKinds = ['deployments', 'configmaps', 'secrets', 'services'] as const;
type MixedKind = (typeof mixedKinds)[number];

const schema = faultSchema('mixed-workload', {
  count: PositiveInt('objects of each kind', 100_000),
  kinds: Default(Type.Array(Type.Union(mixedKinds.map((k) => Type.Literal(k))), { description: 'the kinds to work on' }), [...mixedKinds]),
  namespace: Default(Name('namespace'), 'cpchaos-mixed'),
  qps: Default(Type.Number({ minimum: 0, description: 'requests per second over all steps (0 = unlimited)' }), 100),
  concurrency: Default(PositiveInt('objects worked on at once', 1_000), 20),
  delete: Default(Type.Boolean({ description: 'delete each object at the end and wait until it is gone' }), true),
});

const patchLabel = 'cpchaos.io~1json-patch';

/** The four ways clients change an object, each as its real content type. */
function patches(object: KubeObject): { verb: string; type: string; contentType: string; query: string; body: unknown }[] {
  return [
    {
      verb: 'patch',
      type: 'json',
      contentType: 'application/json-patch+json',
      query: '',
      body: [{ op: 'add', path: `/metadata/labels/${patchLabel}`, value: 'yes' }],
    },
    {
      verb: 'patch',
      type: 'merge',
      contentType: 'application/merge-patch+json',
      query: '',
      body: { metadata: { annotations: { 'cpchaos.io/merge-patch': 'yes' } } },
    },
    {
      verb: 'patch',
      type: 'strategic-merge',
      contentType: 'application/strategic-merge-patch+json',
      query: '',
      body: { metadata: { annotations: { 'cpchaos.io/strategic-merge-patch': 'yes' } } },
    },
    {
      verb: 'apply',
      type: 'apply',
      contentType: 'application/apply-patch+yaml',
      query: '?fieldManager=cpchaos&force=true',
      body: { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, annotations: { 'cpchaos.io/applied': 'yes' } } },
    },
  ];
}

async function checked(client: ApiClient, method: string, path: string, options: Parameters<ApiClient['request']>[2], ok: number[]): Promise<void> {
  const response = await client.withRetry(method, path, { ...options, retries: 5 });
  if (!ok.includes(response.status)) throw new Error(`${method} ${path}: HTTP ${response.status}`);
}

/**
 * Bulk create, four kinds of patch (JSON patch, merge, strategic merge, server-side
 * apply), then delete and wait until gone, over deployments, configmaps, secrets and
 * services at a target rate: the API-intensive workload of the field reports.
 */
export const mixedWorkload = defineFault({
  type: 'mixed-workload',
  description: 'create, patch four ways, delete with wait, at a given qps',
  schema,
  access: (params) => [
    { path: '/api/v1/namespaces', verbs: ['create', 'list', 'delete'] },
    ...params.kinds.map((kind) => ({ path: collectionPath(kind), verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] as ApiVerb[] })),
  ],
  async run(params, context) {
    const { client, signal } = context;
    const namespace = params.namespace;
    const limiter = new TokenBucket(params.qps, params.concurrency);
    const ns = await client.withRetry('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`could not create namespace ${namespace}: HTTP ${ns.status}`);
    const work: { kind: MixedKind; index: number }[] = params.kinds.flatMap((kind) => Array.from({ length: params.count }, (_, index) => ({ kind, index })));
    const totals = {
      created: 0,
      patched: { json: 0, merge: 0, 'strategic-merge': 0, apply: 0 } as Record<string, number>,
      deleted: 0,
      failed: 0,
      errors: [] as string[],
    };
    const started = Date.now();
    let next = 0;

    const one = async ({ kind, index }: { kind: MixedKind; index: number }) => {
      const objectKind = objectKinds[kind];
      const set = { kind, count: params.count, name: 'mixed', replicas: 0 };
      const object = objectKind.build({ set, index, namespace });
      object.metadata.labels = { ...object.metadata.labels, 'cpchaos.io/set': 'mixed' };
      const collection = objectKind.collectionPath({ set, index, namespace });
      const path = `${collection}/${object.metadata.name}`;
      await limiter.take(signal);
      await checked(client, 'POST', collection, { body: object, signal, keepBody: false }, [201, 409]);
      totals.created++;
      for (const patch of patches(object)) {
        await limiter.take(signal);
        await checked(
          client,
          'PATCH',
          `${path}${patch.query}`,
          { body: patch.body, contentType: patch.contentType, verb: patch.verb, signal, keepBody: false },
          [200, 201],
        );
        totals.patched[patch.type]!++;
      }
      if (params.delete === false) return;
      await limiter.take(signal);
      await checked(client, 'DELETE', path, { signal, keepBody: false }, [200, 202, 404]);
      for (let attempt = 0; ; attempt++) {
        await limiter.take(signal);
        if ((await client.request('GET', path, { signal, keepBody: false })).status === 404) break;
        if (attempt > 300) throw new Error(`${path} still there 30s after its delete`);
        await sleep(100, signal);
      }
      totals.deleted++;
    };

    await Promise.all(
      Array.from({ length: Math.min(params.concurrency, work.length) }, async () => {
        while (next < work.length && !signal.aborted) {
          const item = work[next++]!;
          await one(item).catch((error: Error) => {
            if (signal.aborted) return;
            totals.failed++;
            if (totals.errors.length < 5) totals.errors.push(error.message);
          });
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    context.event(
      'mixed-workload-done',
      `${totals.created} created, ${Object.values(totals.patched).reduce((a, b) => a + b, 0)} patched, ${totals.deleted} deleted, ${totals.failed} failed in ${seconds.toFixed(1)}s`,
      { ...totals, seconds },
    );
  },
});
