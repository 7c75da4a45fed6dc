import type { AgentKindPlugin } from '../../core/plugin.js';

/** A CNI agent such as cilium-agent or calico-node: every pod of the cluster, on every node. */
export const cniAgent: AgentKindPlugin = {
  type: 'cni-agent',
  description: 'all pods',
  informers: () => [{ resource: 'pods', path: '/api/v1/pods' }],
};
