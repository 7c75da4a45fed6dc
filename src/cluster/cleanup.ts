import type { ApiClient } from '../core/api-client.js';
import { runLabel } from '../load/seed.js';

/**
 * Every kind a run creates, in the order to delete them: objects first, namespaces
 * last (on a cluster without a namespace controller a namespace never finishes
 * terminating, and its objects must not wait for it). Custom resources go with their CRDs.
 */
const collections: { path: string; namespaced: boolean; query?: string }[] = [
  // A sharded fleet's Job on a load cluster: its pods go with it.
  { path: '/apis/batch/v1/jobs', namespaced: true, query: 'propagationPolicy=Background' },
  { path: '/api/v1/pods', namespaced: true, query: 'gracePeriodSeconds=0' },
  { path: '/apis/apps/v1/deployments', namespaced: true },
  { path: '/apis/apps/v1/daemonsets', namespaced: true },
  { path: '/api/v1/services', namespaced: true },
  { path: '/api/v1/configmaps', namespaced: true },
  { path: '/api/v1/secrets', namespaced: true },
  { path: '/apis/coordination.k8s.io/v1/leases', namespaced: true },
  { path: '/apis/rbac.authorization.k8s.io/v1/rolebindings', namespaced: true },
  { path: '/apis/rbac.authorization.k8s.io/v1/roles', namespaced: true },
  { path: '/api/v1/serviceaccounts', namespaced: true },
  { path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', namespaced: false },
  { path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', namespaced: false },
  { path: '/api/v1/nodes', namespaced: false },
  { path: '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas', namespaced: false },
  { path: '/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations', namespaced: false },
  { path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', namespaced: false },
  { path: '/api/v1/namespaces', namespaced: false },
];

interface Item {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
}

/** "/apis/apps/v1/deployments" + namespace + name -> "/apis/apps/v1/namespaces/ns/deployments/name". */
function itemPath(collection: string, item: Item): string {
  const slash = collection.lastIndexOf('/');
  const prefix = collection.slice(0, slash);
  const resource = collection.slice(slash + 1);
  const ns = item.metadata.namespace ? `/namespaces/${encodeURIComponent(item.metadata.namespace)}` : '';
  return `${prefix}${ns}/${resource}/${encodeURIComponent(item.metadata.name)}`;
}

export interface CleanupResult {
  /** Per collection ("pods", "namespaces"): objects whose deletion the apiserver accepted. */
  deleted: Record<string, number>;
  failed: string[];
}

/** The label selector for one run's objects, or (no run id) for every run's. */
export function runSelector(runId?: string): string {
  return runId ? `${runLabel}=${runId}` : runLabel;
}

/**
 * Deletes every object carrying the run label (the client that created them stamped
 * it on each one). Safe to repeat: what is gone is skipped, what is terminating is left.
 */
/** "/apis/apps/v1/deployments" -> "deployments". */
const resourceName = (collectionPath: string) => collectionPath.slice(collectionPath.lastIndexOf('/') + 1);

/**
 * Every object of one collection carrying the label, page by page; `status` is the
 * first answer that was not 200 (404: a kind this cluster does not serve, such as
 * flowcontrol v1 on an old one, which holds nothing of ours).
 */
async function listLabelled(client: ApiClient, collectionPath: string, selector: string, signal?: AbortSignal): Promise<{ items: Item[]; status: number }> {
  const items: Item[] = [];
  let token = '';
  do {
    const response = await client.request(
      'GET',
      `${collectionPath}?labelSelector=${encodeURIComponent(selector)}&limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      { signal },
    );
    if (response.status !== 200) return { items, status: response.status };
    const page = JSON.parse(response.body!.toString('utf8')) as { items: Item[]; metadata: { continue?: string } };
    items.push(...page.items);
    token = page.metadata.continue ?? '';
  } while (token);
  return { items, status: 200 };
}

export async function deleteLabelled(
  client: ApiClient,
  selector: string,
  options: { concurrency?: number; signal?: AbortSignal; only?: readonly string[] } = {},
): Promise<CleanupResult> {
  const result: CleanupResult = { deleted: {}, failed: [] };
  for (const collection of collections) {
    const resource = resourceName(collection.path);
    // An identity allowed just what the run does (a scheduled run's) may not list the rest, and the run made none of it.
    if (options.only && !options.only.includes(resource)) continue;
    const listed = await listLabelled(client, collection.path, selector, options.signal);
    if (listed.status !== 200 && listed.status !== 404) result.failed.push(`list ${resource}: HTTP ${listed.status}`);
    const items = listed.items.filter((item) => !item.metadata.deletionTimestamp);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const path = itemPath(collection.path, item);
        const response = await client.withRetry('DELETE', collection.query ? `${path}?${collection.query}` : path, {
          keepBody: false,
          signal: options.signal,
          retries: 4,
        });
        if (response.status === 200 || response.status === 202) result.deleted[resource] = (result.deleted[resource] ?? 0) + 1;
        else if (response.status !== 404) result.failed.push(`delete ${path}: HTTP ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 20, items.length) }, worker));
  }
  return result;
}

/** How many objects with the label are still there (terminating ones included). */
export async function countLabelled(client: ApiClient, selector: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const collection of collections) {
    const { items } = await listLabelled(client, collection.path, selector);
    if (items.length) counts[resourceName(collection.path)] = items.length;
  }
  return counts;
}
