import type { AgentKindPlugin } from '../../core/plugin.js';
import type { InformerTarget } from '../../core/agent-model.js';
import { ciliumCrds, ciliumGroup } from '../objects/cilium.js';

const parts = {
  pods: "its node's pods (fieldSelector spec.nodeName)",
  services: 'every Service but those another proxy serves',
  endpointSlices: 'every EndpointSlice',
  namespaces: 'every Namespace (for policy labels)',
  networkPolicies: 'NetworkPolicies, CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies',
  ciliumNodes: 'every CiliumNode (node discovery without a kvstore)',
  ciliumEndpoints: 'every CiliumEndpoint (without CiliumEndpointSlices)',
  ciliumIdentities: 'every CiliumIdentity',
  register: 'registers its CiliumNode at start',
} as const;

const cilium = (plural: string): InformerTarget => ({ resource: plural, path: `/apis/${ciliumGroup}/v2/${plural}`, json: true });

/**
 * A CNI agent modelled on cilium-agent with CRD identity allocation: built-in kinds in
 * protobuf, Cilium's own in JSON (custom resources have no protobuf). Its custom resources
 * are installed before it starts, as the cilium-operator does.
 */
export const cniAgent: AgentKindPlugin = {
  type: 'cni-agent',
  description: "modelled on cilium-agent: its node's pods, Services, EndpointSlices, Namespaces, network policies, Cilium's CRDs",
  parts,
  crds: ciliumCrds,
  identity: { kind: 'service-account', name: 'cilium' },
  model(node, off) {
    const on = (part: keyof typeof parts) => !off.has(part);
    const informers: InformerTarget[] = [];
    if (on('pods')) informers.push({ resource: 'pods', path: '/api/v1/pods', fieldSelector: `spec.nodeName=${node}` });
    if (on('services')) informers.push({ resource: 'services', path: '/api/v1/services', labelSelector: '!service.kubernetes.io/service-proxy-name' });
    if (on('endpointSlices')) informers.push({ resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices' });
    if (on('namespaces')) informers.push({ resource: 'namespaces', path: '/api/v1/namespaces' });
    if (on('networkPolicies'))
      informers.push(
        { resource: 'networkpolicies', path: '/apis/networking.k8s.io/v1/networkpolicies' },
        cilium('ciliumnetworkpolicies'),
        cilium('ciliumclusterwidenetworkpolicies'),
      );
    if (on('ciliumNodes')) informers.push(cilium('ciliumnodes'));
    if (on('ciliumEndpoints')) informers.push(cilium('ciliumendpoints'));
    if (on('ciliumIdentities')) informers.push(cilium('ciliumidentities'));
    const writes = on('register')
      ? [{ kind: 'register' as const, resource: 'ciliumnodes', path: `/apis/${ciliumGroup}/v2/ciliumnodes`, template: 'cilium-node' as const, name: node }]
      : [];
    return { informers, writes };
  },
};
