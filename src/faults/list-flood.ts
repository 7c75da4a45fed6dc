import { Type } from '@sinclair/typebox';
import { Default, Duration, PositiveInt, type Resolved } from '../experiment/schema-parts.js';
import { collectionPath } from '../load/resources.js';
import { parseDuration } from '../units.js';
import type { ApiClient } from '../core/api-client.js';
import { quantile } from '../metrics/client-stats.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('list-flood', {
  resource: Default(Type.String({ description: 'resource to LIST: pods, configmaps, secrets, services, namespaces, deployments, ...' }), 'pods'),
  namespace: Type.Optional(Type.String({ description: 'LIST one namespace (default: all)' })),
  clients: Default(PositiveInt('concurrent clients', 10_000), 10),
  listsPerClient: Default(PositiveInt('LISTs each client sends one after the other'), 10),
  duration: Type.Optional(Duration('instead of listsPerClient: keep listing this long')),
  resourceVersion: Default(Type.Union([Type.Literal(''), Type.Literal('0')], { description: '"" quorum read from etcd, "0" from the watch cache' }), ''),
  resourceVersionMatch: Type.Optional(Type.Union([Type.Literal('NotOlderThan'), Type.Literal('Exact')])),
  limit: Type.Optional(PositiveInt('page size; the client follows continue tokens to the end')),
  labelSelector: Type.Optional(Type.String()),
  fieldSelector: Type.Optional(Type.String()),
  protobuf: Type.Optional(Type.Boolean({ description: 'ask for application/vnd.kubernetes.protobuf' })),
  protocol: Default(
    Type.Union([Type.Literal('http1'), Type.Literal('http2')], {
      description: 'http1: one connection per client, like ab; http2: all clients share one connection, like client-go',
    }),
    'http1',
  ),
});

type Params = Resolved<typeof schema>;

function query(params: Params, continueToken?: string): string {
  const search = new URLSearchParams();
  if (params.resourceVersion !== undefined && params.resourceVersion !== '') search.set('resourceVersion', params.resourceVersion);
  if (params.resourceVersionMatch) search.set('resourceVersionMatch', params.resourceVersionMatch);
  if (params.limit) search.set('limit', String(params.limit));
  if (params.labelSelector) search.set('labelSelector', params.labelSelector);
  if (params.fieldSelector) search.set('fieldSelector', params.fieldSelector);
  if (continueToken) search.set('continue', continueToken);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** One full LIST, page by page when paginated. The body is kept only to read the continue token. */
async function listOnce(params: Params, client: ApiClient, signal: AbortSignal): Promise<{ status: number; bytes: number }> {
  const path = collectionPath(params.resource, params.namespace);
  const accept = params.protobuf ? 'application/vnd.kubernetes.protobuf' : 'application/json';
  let bytes = 0;
  let continueToken: string | undefined;
  do {
    const paginated = params.limit !== undefined && !params.protobuf;
    const response = await client.request('GET', `${path}${query(params, continueToken)}`, { accept, keepBody: paginated, signal, verb: 'list' });
    bytes += response.bytes;
    if (response.status !== 200) return { status: response.status, bytes };
    continueToken = paginated
      ? (JSON.parse(response.body!.toString('utf8')) as { metadata?: { continue?: string } }).metadata?.continue || undefined
      : undefined;
  } while (continueToken && !signal.aborted);
  return { status: 200, bytes };
}

export const listFlood = defineFault({
  type: 'list-flood',
  description: 'C concurrent clients sending full LISTs (the `ab -c 100 /api/v1/pods` case)',
  schema,
  access: (params) => [{ path: collectionPath(params.resource, params.namespace), verbs: ['list'] }],
  async run(params, context) {
    const clients = params.clients;
    const deadline = params.duration ? Date.now() + parseDuration(params.duration) : undefined;
    const perClient = deadline ? Number.POSITIVE_INFINITY : params.listsPerClient;
    const totals = { lists: 0, ok: 0, failed: 0, bytes: 0, statuses: {} as Record<string, number> };
    const durations: number[] = [];
    const client = await context.newClient({ protocol: params.protocol, maxSockets: clients });
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < perClient && !context.signal.aborted && (!deadline || Date.now() < deadline); i++) {
          try {
            const started = performance.now();
            const { status, bytes } = await listOnce(params, client, context.signal);
            durations.push(performance.now() - started);
            totals.lists++;
            totals.bytes += bytes;
            totals.statuses[status] = (totals.statuses[status] ?? 0) + 1;
            if (status === 200) totals.ok++;
            else totals.failed++;
          } catch (error) {
            if (context.signal.aborted) return;
            totals.lists++;
            totals.failed++;
            const code = (error as NodeJS.ErrnoException).code ?? 'error';
            totals.statuses[code] = (totals.statuses[code] ?? 0) + 1;
            // A refused connection (apiserver down) would otherwise spin; back off a little.
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      }),
    );
    client.close();
    durations.sort((a, b) => a - b);
    const latencyMs = { p50: quantile(durations, 0.5), p99: quantile(durations, 0.99), max: durations[durations.length - 1] ?? Number.NaN };
    context.event(
      'list-flood-done',
      `${totals.lists} LISTs by ${clients} clients: ${totals.ok} ok, ${totals.failed} failed, ${totals.bytes} bytes; full LIST p50 ${latencyMs.p50.toFixed(0)} ms, max ${latencyMs.max.toFixed(0)} ms`,
      { ...totals, latencyMs },
    );
  },
});
