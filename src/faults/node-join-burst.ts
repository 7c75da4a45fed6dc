import { Type } from '@sinclair/typebox';
import { Count, Duration, PositiveInt, Default } from '../experiment/schema-parts.js';
import type { ApiClient } from '../core/api-client.js';
import { nodeName } from '../load/fleet.js';
import { leaseObject, microTime, nodeObject } from '../load/objects/node.js';
import { parseDuration } from '../units.js';
import { sleep } from '../util/wait.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('node-join-burst', {
  nodes: PositiveInt('nodes that join', 100_000),
  within: Default(Duration('all of them join within this long'), '10s'),
  daemonSetPods: Default(Count('DaemonSet pods per node: through real DaemonSets when the controller-manager runs, else created by the runner', 100), 2),
  relist: Default(
    Type.Union([Type.Literal('quorum'), Type.Literal('cache'), Type.Literal('streaming')], { description: "the new kubelets' LIST policy" }),
    'quorum',
  ),
  leaseRenew: Default(Duration('lease renewal period (as kubelet)'), '10s'),
});

const daemonNamespace = 'cpchaos-daemons';

async function ensure(client: ApiClient, path: string, body: unknown, what: string): Promise<void> {
  const response = await client.withRetry('POST', path, { body, keepBody: false });
  if (response.status !== 201 && response.status !== 409) throw new Error(`${what}: HTTP ${response.status}`);
}

function daemonSet(index: number): Record<string, unknown> {
  const app = `cpchaos-ds-${index}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: app, namespace: daemonNamespace },
    spec: {
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          nodeSelector: { 'cpchaos.io/node': 'true' },
          tolerations: [{ operator: 'Exists' }],
          containers: [{ name: 'agent', image: `registry.example.com/daemon-${index}:1.0`, resources: { requests: { cpu: '10m', memory: '32Mi' } } }],
        },
      },
    },
  };
}

function daemonPod(node: string, index: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `cpchaos-ds-${index}-${node}`, namespace: daemonNamespace, labels: { app: `cpchaos-ds-${index}` } },
    spec: { nodeName: node, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'agent', image: `registry.example.com/daemon-${index}:1.0` }] },
  };
}

/**
 * N nodes join within T: each registers its Node and its Lease, starts its kubelet
 * (LIST + WATCH of its pods through the load balancer) and renews its Lease; and
 * the DaemonSet pods for every new node appear at once, the incident in the field
 * reports where 400+ pods landed together.
 */
export const nodeJoinBurst = defineFault({
  type: 'node-join-burst',
  description: 'N nodes join within T: Node, Lease, kubelet agent and DaemonSet pods each',
  schema,
  access: () => [
    { path: '/api/v1/namespaces', verbs: ['create', 'list', 'delete'] },
    { path: '/apis/apps/v1/daemonsets', verbs: ['create', 'list', 'delete'] },
    { path: '/api/v1/nodes', verbs: ['create', 'list', 'delete'] },
    { path: '/apis/coordination.k8s.io/v1/leases', verbs: ['create', 'patch', 'list', 'delete'] },
    { path: '/api/v1/pods', verbs: ['create', 'list', 'watch', 'delete'] },
  ],
  async run(params, context) {
    const { client, fleet, signal } = context;
    const withinMs = parseDuration(params.within);
    const perNodePods = params.daemonSetPods;
    const viaController = (context.cluster.host?.processes() ?? []).some((p) => p.component === 'controller-manager');
    await ensure(client, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: daemonNamespace } }, 'namespace');
    if (viaController) {
      for (let i = 0; i < perNodePods; i++) await ensure(client, `/apis/apps/v1/namespaces/${daemonNamespace}/daemonsets`, daemonSet(i), `DaemonSet ${i}`);
    }
    const first = fleet.allocateNodes(params.nodes);
    const names = Array.from({ length: params.nodes }, (_, i) => nodeName(first + i));
    const totals = { nodes: 0, leases: 0, pods: 0, errors: 0, firstError: '' };
    const started = Date.now();
    const fail = (error: Error) => {
      totals.errors++;
      totals.firstError ||= error.message;
    };

    await Promise.all(
      names.map(async (name, i) => {
        await sleep((withinMs * i) / params.nodes, signal);
        try {
          await ensure(client, '/api/v1/nodes', nodeObject(name, 'node-join-burst'), `Node ${name}`);
          totals.nodes++;
          await ensure(client, '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', leaseObject(name), `Lease ${name}`);
          totals.leases++;
          // Its Lease is renewed below, at leaseRenew: the agent's own lease controller stays off.
          await fleet.start(
            [{ type: 'kubelet', off: ['lease'], count: 1, firstIndex: first + i, relist: params.relist, paginate: false, rampUpMs: 0 }],
            signal,
          );
          if (!viaController) {
            for (let p = 0; p < perNodePods; p++) {
              await ensure(client, `/api/v1/namespaces/${daemonNamespace}/pods`, daemonPod(name, p), `pod for ${name}`);
              totals.pods++;
            }
          }
        } catch (error) {
          if (!signal.aborted) fail(error as Error);
        }
      }),
    );
    const renewEvery = parseDuration(params.leaseRenew);
    fleet.background(async (stop) => {
      for (;;) {
        await sleep(renewEvery, stop);
        await Promise.all(
          names.map((name) =>
            client
              .request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`, {
                body: { spec: { renewTime: microTime() } },
                contentType: 'application/merge-patch+json',
                keepBody: false,
                signal: stop,
                verb: 'patch',
              })
              .catch(() => undefined),
          ),
        );
      }
    });
    context.event(
      'node-join-done',
      `${totals.nodes}/${params.nodes} nodes joined in ${((Date.now() - started) / 1000).toFixed(1)}s (${viaController ? 'DaemonSet pods by the controller-manager' : `${totals.pods} DaemonSet-style pods by the runner`}), ${totals.errors} errors`,
      {
        ...totals,
        viaController,
        seconds: (Date.now() - started) / 1000,
      },
    );
  },
});
