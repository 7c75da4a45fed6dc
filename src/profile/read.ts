import type { ApiClient } from '../core/api-client.js';
import { servedSize } from '../load/sizes.js';

/** What a profile keeps of one object: numbers and a namespace index, never a name, label or value. */
export interface ObjectFacts {
  bytes: number;
  namespace?: string;
  /** Written only by the control plane (a namespace's kube-root-ca.crt, a ReplicaSet's pods): a fresh cluster makes its own. */
  byControlPlane: boolean;
}

/** The managers the control plane writes as: what they alone wrote, it derives from what users wrote. */
const controlPlaneManagers = new Set(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'cloud-controller-manager']);

export type Item = Record<string, unknown> & { metadata?: { namespace?: string; managedFields?: { manager?: string }[] } };

export function factsOf(item: Item): ObjectFacts {
  const managers = (item.metadata?.managedFields ?? []).map((f) => f.manager ?? '');
  return {
    bytes: servedSize(item),
    namespace: item.metadata?.namespace,
    byControlPlane: managers.length > 0 && managers.every((m) => controlPlaneManagers.has(m)),
  };
}

/**
 * Every object of a collection, page by page (`limit` small, so that a big cluster's
 * apiserver never builds a large response for us), handed to `onItem` and dropped.
 */
export async function readPaged(
  client: ApiClient,
  collection: string,
  pageSize: number,
  onItem: (item: Item) => void,
  signal?: AbortSignal,
): Promise<{ status: 'ok' } | { status: 'refused'; code: number }> {
  let token: string | undefined;
  do {
    const query = `limit=${pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const response = await client.withRetry('GET', `${collection}?${query}`, { signal, verb: 'list' });
    if (response.status !== 200) return { status: 'refused', code: response.status };
    const page = JSON.parse(response.body?.toString('utf8') ?? '{}') as { items?: Item[]; metadata?: { continue?: string } };
    for (const item of page.items ?? []) onItem(item);
    token = page.metadata?.continue || undefined;
  } while (token);
  return { status: 'ok' };
}
