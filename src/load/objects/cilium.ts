/**
 * Cilium's custom resources as the cilium-operator installs them (cilium.io/v2), with open
 * schemas: what the agents watch and register, not Cilium's validation.
 */
const kinds = [
  { kind: 'CiliumNode', plural: 'ciliumnodes', scope: 'Cluster' },
  { kind: 'CiliumEndpoint', plural: 'ciliumendpoints', scope: 'Namespaced' },
  { kind: 'CiliumIdentity', plural: 'ciliumidentities', scope: 'Cluster' },
  { kind: 'CiliumNetworkPolicy', plural: 'ciliumnetworkpolicies', scope: 'Namespaced' },
  { kind: 'CiliumClusterwideNetworkPolicy', plural: 'ciliumclusterwidenetworkpolicies', scope: 'Cluster' },
] as const;

export const ciliumGroup = 'cilium.io';

export function ciliumCrds(): Record<string, unknown>[] {
  return kinds.map(({ kind, plural, scope }) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${ciliumGroup}` },
    spec: {
      group: ciliumGroup,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v2',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          ...(kind === 'CiliumNode' ? { subresources: { status: {} } } : {}),
        },
      ],
    },
  }));
}

/** The CiliumNode an agent registers for its node: its addresses, IPAM pool and health endpoint. */
export function ciliumNodeObject(name: string): Record<string, unknown> {
  return {
    apiVersion: `${ciliumGroup}/v2`,
    kind: 'CiliumNode',
    metadata: { name },
    spec: {
      addresses: [
        { type: 'InternalIP', ip: '192.0.2.10' },
        { type: 'CiliumInternalIP', ip: '10.0.0.1' },
      ],
      health: { ipv4: '10.0.0.2' },
      encryption: {},
      eni: {},
      ipam: { podCIDRs: ['10.0.0.0/24'] },
    },
  };
}
