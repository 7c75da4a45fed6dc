import { setMaxListeners } from 'node:events';
import test from 'ava';
import { createFaultEnvironment } from '../../src/faults/environment.js';
import { nodeJoinBurst } from '../../src/faults/node-join-burst.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import type { LocalCluster } from '../../src/cluster/local.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { until as untilHolds } from '../helpers/within.js';
import { catalog } from '../../src/plugins.js';

test.before(async () => {
  await isolatedStateDir();
});

async function environment(t: import('ava').ExecutionContext, cluster: LocalCluster, events: Record<string, unknown>[]) {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const env = await createFaultEnvironment(cluster, {
    agentKinds: catalog.agents,
    stats: new ClientStats(),
    signal: controller.signal,
    event: (_type, _message, extra) => void events.push(extra ?? {}),
  });
  t.teardown(env.close);
  return { ...env.context, fleet: env.fleet };
}

/** Polled every 200 ms. */
const until = (condition: () => Promise<boolean>, timeoutMs: number) => untilHolds(condition, timeoutMs, 200);

test.serial('a node-join burst creates exactly N Nodes and Leases, starts N kubelets, renews leases and adds DaemonSet-style pods', async (t) => {
  const cluster = await startCluster(t);
  const events: Record<string, unknown>[] = [];
  const context = await environment(t, cluster, events);
  await nodeJoinBurst.run({ type: 'node-join-burst', nodes: 20, within: '2s', daemonSetPods: 2, leaseRenew: '1s' }, context);
  t.like(events[0], { nodes: 20, leases: 20, pods: 40, errors: 0, viaController: false });

  const nodes = await context.client.json<{ items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }>(
    'GET',
    '/api/v1/nodes?labelSelector=cpchaos.io/node=true',
  );
  t.is(nodes.items.length, 20);
  t.true(nodes.items.every((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')));
  const leases = await context.client.json<{ items: { metadata: { name: string }; spec: { renewTime: string } }[] }>(
    'GET',
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
  );
  t.deepEqual(leases.items.map((l) => l.metadata.name).sort(), nodes.items.map((n) => n.metadata.name).sort());
  const pods = await context.client.json<{ items: { spec: { nodeName: string } }[] }>('GET', '/api/v1/namespaces/cpchaos-daemons/pods');
  t.is(pods.items.length, 40);
  t.is(new Set(pods.items.map((p) => p.spec.nodeName)).size, 20);

  await context.fleet.waitSynced(20_000);
  t.is(context.fleet.stats.byType.get('kubelet')?.agents, 20);
  const firstRenew = leases.items[0]!.spec.renewTime;
  t.true(
    await until(
      async () =>
        (
          await context.client.json<{ spec: { renewTime: string } }>(
            'GET',
            `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${leases.items[0]!.metadata.name}`,
          )
        ).spec.renewTime !== firstRenew,
      5_000,
    ),
    'the lease is renewed',
  );
});

test.serial('with the controller-manager running, real DaemonSets put a pod on every new node', async (t) => {
  const cluster = await startCluster(t, { components: ['controller-manager'] });
  const events: Record<string, unknown>[] = [];
  const context = await environment(t, cluster, events);
  await nodeJoinBurst.run({ type: 'node-join-burst', nodes: 5, within: '1s', daemonSetPods: 1 }, context);
  t.like(events[0], { nodes: 5, viaController: true, errors: 0 });
  const count = async () =>
    (await context.client.json<{ items: unknown[] }>('GET', '/api/v1/namespaces/cpchaos-daemons/pods?labelSelector=app=cpchaos-ds-0')).items.length;
  t.true(await until(async () => (await count()) === 5, 30_000), `DaemonSet pods: ${await count()}`);
});
