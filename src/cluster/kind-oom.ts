import { get } from './https.js';
import { staticPods } from './kind-config.js';
import type { ApiserverAccess, ComponentName } from '../core/cluster.js';

interface ContainerStatus {
  restartCount?: number;
  lastState?: { terminated?: { reason?: string; finishedAt?: string } };
}
interface PodList {
  items: { metadata: { name: string; labels?: Record<string, string> }; status?: { containerStatuses?: ContainerStatus[] } }[];
}

const components = Object.fromEntries(Object.entries(staticPods).map(([component, pod]) => [pod, component as ComponentName])) as Record<string, ComponentName>;

export interface OomKill {
  component: ComponentName;
  pod: string;
  at: string;
}

/**
 * OOM kills of a kind cluster's control-plane static pods, as their kubelets report
 * them (lastState.terminated.reason OOMKilled). The kernel's own count cannot serve on
 * cgroup v1: it is kept in the killed container's cgroup, which goes with the container.
 */
export class StaticPodOomWatch {
  private readonly seen = new Map<string, string>();
  private readonly restartsAtStart = new Map<string, number>();
  /** Restarts each pod's kubelet has reported since the first poll. */
  readonly restarts = new Map<string, number>();
  private primed = false;

  constructor(private readonly access: ApiserverAccess) {}

  /** Kills since the last call; the first call only learns what was there before. */
  async poll(): Promise<OomKill[]> {
    const response = await get(`${this.access.server}/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane`, this.access, 2_000).catch(
      () => undefined,
    );
    if (response?.status !== 200) return [];
    const kills: OomKill[] = [];
    for (const pod of (JSON.parse(response.body) as PodList).items) {
      const component = components[pod.metadata.labels?.component ?? ''];
      const status = pod.status?.containerStatuses?.[0];
      const restartCount = status?.restartCount ?? 0;
      if (!this.restartsAtStart.has(pod.metadata.name)) this.restartsAtStart.set(pod.metadata.name, this.primed ? 0 : restartCount);
      this.restarts.set(pod.metadata.name, restartCount - this.restartsAtStart.get(pod.metadata.name)!);
      const terminated = status?.lastState?.terminated;
      if (!component || terminated?.reason !== 'OOMKilled' || !terminated.finishedAt) continue;
      if (this.seen.get(pod.metadata.name) === terminated.finishedAt) continue;
      this.seen.set(pod.metadata.name, terminated.finishedAt);
      if (this.primed) kills.push({ component, pod: pod.metadata.name, at: terminated.finishedAt });
    }
    this.primed = true;
    return kills;
  }
}
