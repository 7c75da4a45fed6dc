import type { AgentKind } from './types.js';

/** kubelet: its own node's pods. etcd has no index on spec.nodeName, so without RV=0 every relist reads all of /registry/pods. */
export const kubelet: AgentKind = {
  informers: (node) => [{ resource: 'pods', path: '/api/v1/pods', fieldSelector: `spec.nodeName=${node}` }],
};
