import type { AgentKindPlugin } from '../../core/plugin.js';
import type { AgentModel, InformerTarget } from '../../core/agent-model.js';

/** The kubelet's defaults: nodeStatusUpdateFrequency, nodeStatusReportFrequency, nodeLeaseDurationSeconds (renewed every quarter). */
const statusEveryMs = 10_000;
const statusReportEveryMs = 300_000;
const leaseSeconds = 40;

const parts = {
  pods: "its node's pods (fieldSelector spec.nodeName), the pod config source",
  podObjects: 'a watch on each Secret and ConfigMap its live pods reference (fieldSelector metadata.name), as its watch-based managers',
  node: 'its own Node (fieldSelector metadata.name), the node lister',
  services: "every Service, for the pods' environment variables",
  runtimeClasses: 'RuntimeClasses (node.k8s.io/v1)',
  lease: 'its Lease in kube-node-lease, renewed every 10s (a PUT: 500 writes/s at 5,000 nodes) through its heartbeat client',
  nodeStatus: 'registers its Node, GETs it from the watch cache every 10s, PATCHes its status at once and every 5 min, through its heartbeat client',
} as const;

/**
 * kubelet, as pkg/kubelet wires its informers and heartbeats. etcd has no index on
 * spec.nodeName, so a pod LIST that misses the watch cache reads all of /registry/pods.
 */
export const kubelet: AgentKindPlugin = {
  type: 'kubelet',
  description: "its node's pods and the Secrets and ConfigMaps they reference, its Node, Services, RuntimeClasses; Lease renewals and Node status",
  parts,
  identity: { kind: 'node' },
  model(node, off): AgentModel {
    const on = (part: keyof typeof parts) => !off.has(part);
    const informers: InformerTarget[] = [];
    if (on('pods'))
      informers.push({ resource: 'pods', path: '/api/v1/pods', fieldSelector: `spec.nodeName=${node}`, ...(on('podObjects') ? { podObjects: true } : {}) });
    if (on('node')) informers.push({ resource: 'nodes', path: '/api/v1/nodes', fieldSelector: `metadata.name=${node}` });
    if (on('services')) informers.push({ resource: 'services', path: '/api/v1/services' });
    if (on('runtimeClasses')) informers.push({ resource: 'runtimeclasses', path: '/apis/node.k8s.io/v1/runtimeclasses' });
    const writes: AgentModel['writes'] = [];
    if (on('nodeStatus')) {
      writes.push({ kind: 'register', resource: 'nodes', path: '/api/v1/nodes', template: 'node', name: node });
      writes.push({ kind: 'node-status', node, everyMs: statusEveryMs, reportEveryMs: statusReportEveryMs });
    }
    if (on('lease'))
      writes.push({
        kind: 'lease',
        namespace: 'kube-node-lease',
        name: node,
        holder: node,
        durationSeconds: leaseSeconds,
        everyMs: (leaseSeconds * 1000) / 4,
        ...(on('nodeStatus') ? { ownerNode: node } : {}),
      });
    return { informers, writes };
  },
};
