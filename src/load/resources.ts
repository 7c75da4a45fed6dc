/** Where each built-in resource lives in the API, for seeders and LIST floods. */
const groups: Record<string, { prefix: string; namespaced: boolean }> = {
  pods: { prefix: '/api/v1', namespaced: true },
  configmaps: { prefix: '/api/v1', namespaced: true },
  secrets: { prefix: '/api/v1', namespaced: true },
  services: { prefix: '/api/v1', namespaced: true },
  endpoints: { prefix: '/api/v1', namespaced: true },
  events: { prefix: '/api/v1', namespaced: true },
  serviceaccounts: { prefix: '/api/v1', namespaced: true },
  namespaces: { prefix: '/api/v1', namespaced: false },
  nodes: { prefix: '/api/v1', namespaced: false },
  deployments: { prefix: '/apis/apps/v1', namespaced: true },
  daemonsets: { prefix: '/apis/apps/v1', namespaced: true },
  replicasets: { prefix: '/apis/apps/v1', namespaced: true },
  leases: { prefix: '/apis/coordination.k8s.io/v1', namespaced: true },
  endpointslices: { prefix: '/apis/discovery.k8s.io/v1', namespaced: true },
  customresourcedefinitions: { prefix: '/apis/apiextensions.k8s.io/v1', namespaced: false },
};

export const knownResources = Object.keys(groups);

/**
 * The collection URL of a resource, e.g. /api/v1/namespaces/x/pods, or across all
 * namespaces (/api/v1/pods) when no namespace is given.
 */
export function collectionPath(resource: string, namespace?: string): string {
  const group = groups[resource];
  if (!group) throw new Error(`unknown resource "${resource}"; known: ${knownResources.join(', ')}`);
  return group.namespaced && namespace ? `${group.prefix}/namespaces/${namespace}/${resource}` : `${group.prefix}/${resource}`;
}
