import { ApiClient } from '../load/client.js';
import { ClientStats } from '../metrics/client-stats.js';
import { deleteLabelled, runSelector, type CleanupResult } from './cleanup.js';
import { defaultKubeconfig } from './existing.js';

/** `cpchaos down --existing --context X`: what interrupted or killed runs left on a cluster we do not own. */
export async function cleanExisting(options: { context: string; kubeconfig?: string; runId?: string }): Promise<CleanupResult> {
  const client = await ApiClient.fromKubeconfig(options.kubeconfig ?? defaultKubeconfig(), new ClientStats(), { context: options.context });
  try {
    return await deleteLabelled(client, runSelector(options.runId));
  } finally {
    client.close();
  }
}
