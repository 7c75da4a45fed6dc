import { setMaxListeners } from 'node:events';
import test from 'ava';
import { createFaultEnvironment } from '../../src/faults/environment.js';
import { listFlood } from '../../src/faults/list-flood.js';
import { seed } from '../../src/load/seed.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { catalog } from '../../src/plugins.js';

test.before(async () => {
  await isolatedStateDir();
});

test('list-flood: recorded bytes match the responses; pagination, resourceVersion, protobuf, selectors', async (t) => {
  const cluster = await startCluster(t);
  const stats = new ClientStats();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const events: { type: string; extra: Record<string, unknown> }[] = [];
  const { context, close } = await createFaultEnvironment(cluster, {
    agentKinds: catalog.agents,
    stats,
    signal: controller.signal,
    event: (type, _m, extra) => void events.push({ type, extra: extra ?? {} }),
  });
  t.teardown(close);
  await seed([{ kind: 'configmaps', count: 120, dataSize: '1Ki', qps: 0 }], {
    client: context.client,
    runId: 'flood',
    experimentDir: '.',
    quiet: true,
    event: () => undefined,
  });
  const last = () => events[events.length - 1]!.extra as { lists: number; ok: number; bytes: number; statuses: Record<string, number> };

  // With no writes in between every full LIST is the same document: 6 LISTs are exactly 6 times one.
  const one = await context.client.request('GET', '/api/v1/configmaps', { keepBody: false });
  await listFlood.run({ type: 'list-flood', resource: 'configmaps', clients: 2, listsPerClient: 3 }, context);
  t.like(last(), { lists: 6, ok: 6, statuses: { 200: 6 } });
  t.is(last().bytes, 6 * one.bytes);

  // Paginated: 120 configmaps (plus the cluster's own) in pages of 50 are 3 requests per LIST.
  const before = stats.totals().find((c) => c.verb === 'list' && c.resource === 'configmaps')!.requests;
  await listFlood.run({ type: 'list-flood', resource: 'configmaps', namespace: 'cpchaos-seed', clients: 1, listsPerClient: 2, limit: 50 }, context);
  const after = stats.totals().find((c) => c.verb === 'list' && c.resource === 'configmaps')!.requests;
  t.is(after - before, 2 * 3);
  t.like(last(), { lists: 2, ok: 2 });

  // resourceVersion=0 and protobuf are answered too; protobuf is the smaller encoding.
  await listFlood.run({ type: 'list-flood', resource: 'configmaps', clients: 1, listsPerClient: 1, resourceVersion: '0', protobuf: true }, context);
  t.like(last(), { lists: 1, ok: 1 });
  t.true(last().bytes > 120 * 1024 && last().bytes < one.bytes, `protobuf ${last().bytes} B vs JSON ${one.bytes} B`);

  // A selector that matches nothing still answers, with an empty list.
  await listFlood.run({ type: 'list-flood', resource: 'configmaps', clients: 1, listsPerClient: 1, labelSelector: 'nothing=here' }, context);
  t.true(last().bytes < 300);
});

test("the runner's relay adds latency when asked, and a direct environment refuses to", async (t) => {
  const cluster = await startCluster(t);
  const controller = new AbortController();
  const environment = (relay: boolean) =>
    createFaultEnvironment(cluster, { agentKinds: catalog.agents, stats: new ClientStats(), signal: controller.signal, event: () => undefined, relay });
  const direct = await environment(false);
  t.teardown(direct.close);
  t.false(direct.context.connections.relayed);
  t.throws(() => direct.context.connections.setLatency(300), { message: /relay/ });
  const { upstreamOf, LoadBalancerProxy } = await import('../../src/load/proxy.js');
  const upstream = upstreamOf(cluster.access.server);
  const proxy = new LoadBalancerProxy(upstream.host, upstream.port);
  await proxy.start();
  t.teardown(() => proxy.stop());
  const { agentConnections } = await import('../../src/load/agent-connections.js');
  const connections = agentConnections(direct.fleet, proxy);
  const { kubeconfigIdentity } = await import('../../src/load/client.js');
  const https = await import('node:https');
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const timeGet = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      https
        .get(`https://127.0.0.1:${proxy.port}/readyz`, { ...tls, agent: false }, (response) => {
          response.resume();
          response.on('end', () => resolve(performance.now() - started));
        })
        .on('error', reject);
    });
  const fast = await timeGet();
  connections.setLatency(300);
  const slow = await timeGet();
  connections.setLatency(0);
  // A fresh TLS connection crosses the proxy at least four times each way.
  t.true(slow > fast + 900, `fast ${fast.toFixed(0)} ms, slow ${slow.toFixed(0)} ms`);
});
