import { setMaxListeners } from 'node:events';
import test from 'ava';
import { mixedWorkload } from '../../src/faults/mixed-workload.js';
import { createFaultEnvironment } from '../../src/faults/environment.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { catalog } from '../../src/plugins.js';

test.before(async () => {
  await isolatedStateDir();
});

test('mixed-workload creates, patches four ways and deletes with wait', async (t) => {
  const cluster = await startCluster(t);
  const stats = new ClientStats();
  const events: Record<string, unknown>[] = [];
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const { context, close } = await createFaultEnvironment(cluster, {
    agentKinds: catalog.agents,
    stats,
    signal: controller.signal,
    event: (_type, _message, extra) => void events.push(extra ?? {}),
  });
  t.teardown(close);
  const { client } = context;

  // Kept: every patch type left its mark on every object.
  await mixedWorkload.run({ type: 'mixed-workload', count: 3, namespace: 'kept', delete: false, qps: 0 }, context);
  t.like(events[0], { created: 12, deleted: 0, failed: 0, patched: { json: 12, merge: 12, 'strategic-merge': 12, apply: 12 } });
  for (const path of [
    '/apis/apps/v1/namespaces/kept/deployments/mixed-1',
    '/api/v1/namespaces/kept/configmaps/mixed-2',
    '/api/v1/namespaces/kept/secrets/mixed-0',
    '/api/v1/namespaces/kept/services/mixed-2',
  ]) {
    const object = await client.json<{
      metadata: { labels: Record<string, string>; annotations: Record<string, string>; managedFields: { manager: string; operation: string }[] };
    }>('GET', path);
    t.is(object.metadata.labels['cpchaos.io/json-patch'], 'yes', path);
    t.is(object.metadata.annotations['cpchaos.io/merge-patch'], 'yes', path);
    t.is(object.metadata.annotations['cpchaos.io/strategic-merge-patch'], 'yes', path);
    t.is(object.metadata.annotations['cpchaos.io/applied'], 'yes', path);
    t.true(
      object.metadata.managedFields.some((f) => f.manager === 'cpchaos' && f.operation === 'Apply'),
      `${path} has a server-side apply field manager`,
    );
  }

  // Deleted: nothing of the set is left, at the rate asked for.
  const started = Date.now();
  await mixedWorkload.run({ type: 'mixed-workload', count: 2, namespace: 'gone', kinds: ['configmaps', 'services'], qps: 20 }, context);
  const seconds = (Date.now() - started) / 1000;
  t.like(events[1], { created: 4, deleted: 4, failed: 0 });
  for (const resource of ['configmaps', 'services']) {
    const list = await client.json<{ items: unknown[] }>('GET', `/api/v1/namespaces/gone/${resource}?labelSelector=cpchaos.io/set=mixed`);
    t.is(list.items.length, 0, resource);
  }
  // 4 objects x (create + 4 patches + delete + at least one GET) = 28 requests at 20 qps after a burst of 20: at least 0.4 s.
  t.true(seconds >= 0.35, `${seconds}s`);
  const applies = stats
    .totals()
    .filter((c) => c.verb === 'apply')
    .reduce((n, c) => n + c.requests, 0);
  t.is(applies, 12 + 4);
});
