import { Type } from '@sinclair/typebox';
import { get } from '../cluster/https.js';
import { CrdShapeParam, PositiveInt, Default } from '../experiment/schema-parts.js';
import type { ApiClient } from '../core/api-client.js';
import { seed } from '../load/seed.js';
import { TokenBucket } from '../util/rate-limiter.js';
import { sleep } from '../util/wait.js';
import { seedAccess } from '../load/seed-access.js';
import { defineFault, faultSchema, type FaultContext } from './types.js';

const schema = faultSchema('crd-burst', {
  count: PositiveInt('CRDs to install', 10_000),
  groups: Default(PositiveInt('spread over this many API groups', 1_000), 1),
  concurrency: Default(PositiveInt('CRD creates in flight', 1_000), 10),
  discoveryQps: Default(Type.Number({ minimum: 0, description: "rate limit of the discovery walk (client-go's default)" }), 5),
  discoveryBurst: Default(PositiveInt('burst of the discovery walk'), 100),
  schema: Default(
    CrdShapeParam(
      'small: a 3-field schema; provider: two versions of a 105 KB, 514-property, 7-deep schema, as large as a big cloud-provider managed resource',
    ),
    'small',
  ),
});

async function apiserverRss(context: FaultContext): Promise<number | undefined> {
  const metrics = await get(`${context.cluster.access.server}/metrics`, context.cluster.access).catch(() => undefined);
  const match = /^process_resident_memory_bytes ([\d.e+]+)$/m.exec(metrics?.body ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Every group-version the apiserver serves, from /api and /apis (unaggregated discovery, as older clients walk it). */
async function groupVersions(client: ApiClient): Promise<string[]> {
  const core = await client.json<{ versions: string[] }>('GET', '/api', { verb: 'discovery', resource: 'api' });
  const groups = await client.json<{ groups: { versions: { groupVersion: string }[] }[] }>('GET', '/apis', { verb: 'discovery', resource: 'apis' });
  return [...core.versions.map((v) => `/api/${v}`), ...groups.groups.flatMap((g) => g.versions.map((v) => `/apis/${v.groupVersion}`))];
}

/** One client-side discovery walk: /api, /apis, then each group-version, through a client-go-like rate limiter. */
async function walkDiscovery(client: ApiClient, limiter: TokenBucket, signal: AbortSignal): Promise<{ ms: number; requests: number }> {
  const started = performance.now();
  await limiter.take(signal);
  await limiter.take(signal);
  const paths = await groupVersions(client);
  for (const path of paths) {
    await limiter.take(signal);
    await client.json('GET', path, { verb: 'discovery', resource: 'group-version', signal });
  }
  return { ms: performance.now() - started, requests: paths.length + 2 };
}

async function timed(client: ApiClient, path: string, accept: string, resource: string): Promise<{ ms: number; bytes: number; status: number }> {
  const response = await client.request('GET', path, { accept, keepBody: false, verb: 'get', resource });
  return { ms: response.durationMs, bytes: response.bytes, status: response.status };
}

/**
 * The OpenAPI v3 document of each new group-version, one after another, as `kubectl explain`
 * or a client generator fetches them. The apiserver publishes a new group's document a
 * moment after the CRD is established (404 until then): each is asked again for up to 30 s.
 */
async function openapiV3Documents(client: ApiClient, groupVersions: string[], signal: AbortSignal): Promise<{ documents: number; ms: number; bytes: number }> {
  let ms = 0;
  let bytes = 0;
  let documents = 0;
  for (const gv of groupVersions) {
    for (let attempt = 0; attempt < 120; attempt++) {
      const document = await timed(client, `/openapi/v3${gv}`, 'application/json', 'openapi-v3-group');
      if (document.status === 200) {
        ms += document.ms;
        bytes += document.bytes;
        documents++;
        break;
      }
      await sleep(250, signal);
    }
  }
  return { documents, ms, bytes };
}

/**
 * Installs N CRDs across G groups, then measures what the field reports saw grow
 * with them: apiserver memory per CRD, a client's discovery walk with and without
 * client-go's rate limit, aggregated discovery, and the OpenAPI documents.
 */
export const crdBurst = defineFault({
  type: 'crd-burst',
  description: 'install many CRDs; measure memory per CRD, discovery and OpenAPI',
  schema,
  access: (params) => [{ path: '/metrics', verbs: ['get'] }, ...seedAccess([{ kind: 'crds', name: 'crd-burst', count: params.count, groups: params.groups }])],
  async run(params, context) {
    const name = 'crd-burst';
    const before = await apiserverRss(context);
    const crdSet = {
      kind: 'crds' as const,
      name,
      count: params.count,
      groups: params.groups,
      qps: 0,
      concurrency: params.concurrency,
      crdSchema: params.schema,
    };
    const [set] = await seed([crdSet], {
      client: context.client,
      runId: 'crd-burst',
      experimentDir: '.',
      signal: context.signal,
      quiet: true,
      event: context.event,
    });
    // Discovery and the OpenAPI aggregator pick new CRDs up asynchronously; give them a moment to settle.
    const wanted = set!.crds!.map((c) => `/apis/${c.group}/${c.version}`);
    for (let i = 0; i < 120; i++) {
      const served = new Set(await groupVersions(context.client));
      if (wanted.every((gv) => served.has(gv))) break;
      await sleep(250, context.signal);
    }
    const after = await apiserverRss(context);
    const limited = await walkDiscovery(context.client, new TokenBucket(params.discoveryQps, params.discoveryBurst), context.signal);
    const unlimited = await walkDiscovery(context.client, new TokenBucket(0, 1), context.signal);
    const aggregated = await timed(
      context.client,
      '/apis',
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      'aggregated-discovery',
    );
    const openapiV2 = await timed(context.client, '/openapi/v2', 'application/json', 'openapi-v2');
    const openapiV3 = await timed(context.client, '/openapi/v3', 'application/json', 'openapi-v3');
    const openapiV3Groups = await openapiV3Documents(context.client, [...new Set(wanted)], context.signal);
    const perCrdBytes = before !== undefined && after !== undefined ? (after - before) / set!.objects.length : undefined;
    context.event(
      'crd-burst-done',
      `${set!.objects.length} CRDs in ${params.groups} group(s); discovery walk of ${limited.requests} requests ${(limited.ms / 1000).toFixed(1)}s limited, ${(unlimited.ms / 1000).toFixed(1)}s unlimited`,
      {
        crds: set!.objects.length,
        failed: set!.failed,
        apiserverRssBefore: before,
        apiserverRssAfter: after,
        apiserverBytesPerCrd: perCrdBytes,
        discoveryRequests: limited.requests,
        discoveryLimitedMs: limited.ms,
        discoveryUnlimitedMs: unlimited.ms,
        aggregatedDiscoveryMs: aggregated.ms,
        aggregatedDiscoveryBytes: aggregated.bytes,
        openapiV2Ms: openapiV2.ms,
        openapiV2Bytes: openapiV2.bytes,
        openapiV3IndexMs: openapiV3.ms,
        openapiV3GroupVersions: openapiV3Groups.documents,
        openapiV3GroupsMs: openapiV3Groups.ms,
        openapiV3GroupsBytes: openapiV3Groups.bytes,
      },
    );
  },
});
