import { Type } from '@sinclair/typebox';
import { Default, Duration, Name, PositiveInt } from '../experiment/schema-parts.js';
import type { ApiClient } from '../core/api-client.js';
import type { SeededObject } from '../core/seeded.js';
import { parseDuration } from '../units.js';
import { TokenBucket } from '../util/rate-limiter.js';
import { sleep } from '../util/wait.js';
import { defineFault, faultSchema, seededSet } from './types.js';

const schema = faultSchema('churn', {
  set: Name('the seed set to churn'),
  percent: Default(Type.Number({ minimum: 0.01, maximum: 100, description: 'share of the set deleted and recreated each round, in percent' }), 10),
  interval: Default(Duration('a round every this long'), '5s'),
  duration: Default(Duration('churn for this long'), '30s'),
  qps: Default(Type.Number({ minimum: 0, description: 'requests per second (GET, DELETE, POST each count; 0 = unlimited)' }), 50),
  concurrency: Default(PositiveInt('objects churned at once', 1_000), 10),
});

const serverFields = ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** What the server adds to an object: stripped, so the same object can be created again. */
function recreatable(object: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  delete copy.status;
  const metadata: Record<string, unknown> = { ...(object.metadata as Record<string, unknown>) };
  for (const field of serverFields) delete metadata[field];
  return { ...copy, metadata };
}

/** Deletes one object and creates it again under the same name (retrying while the old one is still going). */
async function churnOne(client: ApiClient, object: SeededObject, limiter: TokenBucket, signal: AbortSignal): Promise<boolean> {
  await limiter.take(signal);
  const current = await client.request('GET', object.path, { signal });
  if (current.status !== 200 || !current.body) return false;
  const body = recreatable(JSON.parse(current.body.toString('utf8')) as Record<string, unknown>);
  await limiter.take(signal);
  const deleted = await client.request('DELETE', `${object.path}?gracePeriodSeconds=0`, { signal, keepBody: false });
  if (deleted.status !== 200 && deleted.status !== 202) return false;
  const collection = object.path.slice(0, object.path.lastIndexOf('/'));
  for (let attempt = 0; attempt < 20; attempt++) {
    await limiter.take(signal);
    const created = await client.request('POST', collection, { body, signal, keepBody: false });
    if (created.status === 201) return true;
    if (created.status !== 409) return false;
    await sleep(100, signal);
  }
  return false;
}

/**
 * Real clusters create and delete pods all the time, and every change is a watch event
 * to every watcher: each round deletes `percent` of a seed set and recreates the same
 * objects, rate-limited, counted in the client series like any other request. The
 * set's size holds at the end, so objects-intact still passes.
 */
export const churn = defineFault({
  type: 'churn',
  description: 'delete and recreate a share of a seed set every interval, for a while',
  schema,
  // The seed set's own objects, which the seeds' access covers.
  access: () => [],
  async run(params, context) {
    const set = seededSet(context, 'churn', params.set);
    const { client, signal } = context;
    const limiter = new TokenBucket(params.qps, params.concurrency);
    const perRound = Math.max(1, Math.ceil((set.objects.length * params.percent) / 100));
    const end = Date.now() + parseDuration(params.duration);
    const totals = { rounds: 0, recreated: 0, failed: 0 };
    for (let offset = 0; Date.now() < end && !signal.aborted; offset += perRound) {
      const roundStarted = Date.now();
      const victims = Array.from({ length: Math.min(perRound, set.objects.length) }, (_, i) => set.objects[(offset + i) % set.objects.length]!);
      let next = 0;
      const worker = async () => {
        while (next < victims.length && !signal.aborted) {
          const done = await churnOne(client, victims[next++]!, limiter, signal);
          totals[done ? 'recreated' : 'failed']++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(params.concurrency, victims.length) }, worker));
      totals.rounds++;
      await sleep(Math.max(0, Math.min(end, roundStarted + parseDuration(params.interval)) - Date.now()), signal).catch(() => undefined);
    }
    context.event('churn-done', `${set.name}: ${totals.recreated} objects deleted and recreated in ${totals.rounds} rounds, ${totals.failed} failed`, totals);
  },
});
