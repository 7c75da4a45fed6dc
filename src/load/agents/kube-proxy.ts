import type { AgentKindPlugin } from '../../core/plugin.js';
import type { InformerTarget } from '../../core/agent-model.js';

/** What kube-proxy's informer factory filters out: headless Services and those another proxy serves. */
const proxied = '!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name';

const parts = {
  services: 'every Service it proxies (labelSelector without headless and other proxies)',
  endpointSlices: 'every EndpointSlice of those Services',
  node: 'its own Node (fieldSelector metadata.name), for its topology and PodCIDR',
  serviceCIDRs: 'every ServiceCIDR (from 1.33, where MultiCIDRServiceAllocator is on and locked)',
} as const;

/** The release whose kube-proxy watches ServiceCIDRs by default (networking.k8s.io/v1, MultiCIDRServiceAllocator GA). */
const serviceCidrsFrom = 33;

/** kube-proxy, as cmd/kube-proxy wires its informers; it writes nothing in steady state. */
export const kubeProxy: AgentKindPlugin = {
  type: 'kube-proxy',
  description: 'Services and EndpointSlices (without headless ones), its Node, ServiceCIDRs',
  parts,
  identity: { kind: 'service-account', name: 'kube-proxy' },
  model(node, off, minor = Number.POSITIVE_INFINITY) {
    const informers: InformerTarget[] = [];
    if (!off.has('services')) informers.push({ resource: 'services', path: '/api/v1/services', labelSelector: proxied });
    if (!off.has('endpointSlices')) informers.push({ resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices', labelSelector: proxied });
    if (!off.has('node')) informers.push({ resource: 'nodes', path: '/api/v1/nodes', fieldSelector: `metadata.name=${node}` });
    if (!off.has('serviceCIDRs') && minor >= serviceCidrsFrom) informers.push({ resource: 'servicecidrs', path: '/apis/networking.k8s.io/v1/servicecidrs' });
    return { informers, writes: [] };
  },
};
