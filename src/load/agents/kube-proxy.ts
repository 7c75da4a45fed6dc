import type { AgentKindPlugin } from '../../core/plugin.js';

/** kube-proxy: every Service and EndpointSlice of the cluster. */
export const kubeProxy: AgentKindPlugin = {
  type: 'kube-proxy',
  description: 'services and endpointslices',
  informers: () => [
    { resource: 'services', path: '/api/v1/services', labelSelector: '!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name' },
    {
      resource: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      labelSelector: '!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name',
    },
  ],
};
