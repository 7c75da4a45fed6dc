import { InfrastructureError } from '../errors.js';
import { sleep } from '../util/wait.js';
import { get } from './https.js';
import type { ApiserverAccess } from '../core/cluster.js';

interface Condition {
  type: string;
  status: string;
}
interface Listed {
  items: { metadata: { name: string }; status?: { conditions?: Condition[]; phase?: string } }[];
}

const isReady = (item: Listed['items'][number]) => item.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function list(access: ApiserverAccess, path: string): Promise<Listed | undefined> {
  const response = await get(`${access.server}${path}`, access, 5_000).catch(() => undefined);
  return response?.status === 200 ? (JSON.parse(response.body) as Listed) : undefined;
}

/** What is not ready yet: nodes, then the control-plane static pods; empty when all are. */
export async function notReady(access: ApiserverAccess, controlPlanes: number): Promise<string[]> {
  const nodes = await list(access, '/api/v1/nodes');
  const pods = await list(access, '/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane');
  if (!nodes || !pods) return ['the apiserver (no answer to LIST nodes / pods)'];
  const waiting = nodes.items.filter((n) => !isReady(n)).map((n) => `node ${n.metadata.name}`);
  if (nodes.items.length < controlPlanes) waiting.push(`${controlPlanes - nodes.items.length} node(s) not registered`);
  waiting.push(...pods.items.filter((p) => !isReady(p)).map((p) => `pod ${p.metadata.name}`));
  // etcd, apiserver, controller-manager and scheduler on every control plane.
  if (pods.items.length < 4 * controlPlanes) waiting.push(`${4 * controlPlanes - pods.items.length} control-plane pod(s) not there yet`);
  return waiting;
}

/**
 * `kind create cluster --wait` can print "Timed out waiting for Ready" and still exit 0
 * (a broken pod network leaves every node NotReady): readiness is checked here instead.
 */
export async function waitClusterReady(access: ApiserverAccess, controlPlanes: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waiting: string[] = [];
  while (Date.now() < deadline) {
    waiting = await notReady(access, controlPlanes);
    if (waiting.length === 0) return;
    await sleep(1_000, signal);
  }
  throw new InfrastructureError(
    `the kind cluster is not ready after ${timeoutMs / 1000} s: ${waiting.slice(0, 6).join(', ')}${waiting.length > 6 ? ', ...' : ''}`,
  );
}
