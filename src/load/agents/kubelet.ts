import type { AgentKindPlugin } from '../../core/plugin.js';

/** kubelet: its own node's pods. etcd has no index on spec.nodeName, so without RV=0 every relist reads all of /registry/pods. */
export const kubelet: AgentKindPlugin = {
  type: 'kubelet',
  description: "its node's pods (fieldSelector spec.nodeName)",
  informers: (node) => [{ resource: 'pods', path: '/api/v1/pods', fieldSelector: `spec.nodeName=${node}` }],
};
