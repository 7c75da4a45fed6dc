import type { Cluster, ComponentName } from '../cluster/provider.js';
import type { MemoryCgroup } from '../cluster/cgroup/types.js';

/** Process faults act on this machine's processes and cgroups: the local provider only. */
export function localProcess(cluster: Cluster, component: ComponentName, fault: string): number {
  if (cluster.provider !== 'local') throw new Error(`${fault} needs the local provider (this cluster is ${cluster.provider})`);
  const entry = cluster.processes().find((p) => p.component === component);
  if (!entry) throw new Error(`${fault}: no ${component} process in this cluster`);
  return entry.pid;
}

export function localCgroup(cluster: Cluster, component: ComponentName, fault: string): MemoryCgroup {
  if (cluster.provider !== 'local') throw new Error(`${fault} needs the local provider (this cluster is ${cluster.provider})`);
  const entry = cluster.cgroups().find((c) => c.component === component);
  if (!entry) throw new Error(`${fault}: ${component} has no memory cgroup`);
  return entry.cgroup;
}
