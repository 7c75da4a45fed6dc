import type { ApiClient } from '../core/api-client.js';

export interface ListableResource {
  group: string;
  version: string;
  /** The plural, e.g. pods. */
  name: string;
  namespaced: boolean;
  /** True for the API groups Kubernetes itself serves: their names say nothing of the cluster. */
  builtin: boolean;
}

/** The groups Kubernetes serves itself. Every other group is the cluster's own (CRDs, aggregated APIs), and its name is not recorded. */
const builtinGroups = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Served twice under other names: counting them again would double the objects. */
const aliases = new Set(['events.k8s.io']);

interface ResourceList {
  resources: { name: string; namespaced: boolean; verbs: string[] }[];
}

const listable = (list: ResourceList, group: string, version: string): ListableResource[] =>
  list.resources
    .filter((r) => !r.name.includes('/') && r.verbs.includes('list'))
    .map((r) => ({ group, version, name: r.name, namespaced: r.namespaced, builtin: builtinGroups.has(group) }));

/** Every resource the cluster lets us LIST, in each group's preferred version. */
export async function listableResources(client: ApiClient, signal?: AbortSignal): Promise<ListableResource[]> {
  const found = listable(await client.json<ResourceList>('GET', '/api/v1', { signal }), '', 'v1');
  const groups = await client.json<{ groups: { name: string; preferredVersion: { version: string } }[] }>('GET', '/apis', { signal });
  for (const group of groups.groups) {
    if (aliases.has(group.name)) continue;
    const version = group.preferredVersion.version;
    const list = await client.json<ResourceList>('GET', `/apis/${group.name}/${version}`, { signal }).catch(() => undefined);
    if (list) found.push(...listable(list, group.name, version));
  }
  return found;
}

export const collectionOf = (r: ListableResource): string => (r.group ? `/apis/${r.group}/${r.version}/${r.name}` : `/api/v1/${r.name}`);
