import type { AgentKind } from './types.js';

/** A CNI agent such as cilium-agent or calico-node: every pod of the cluster, on every node. */
export const cniAgent: AgentKind = {
  informers: () => [{ resource: 'pods', path: '/api/v1/pods' }],
};
