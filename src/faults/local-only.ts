import type { Cluster, ComponentName, MemoryCgroup } from '../core/cluster.js';

/**
 * Process faults act on processes and cgroups of this machine: the local provider's,
 * or a kind node's (Docker runs them as host processes).
 */
export function localProcess(cluster: Cluster, component: ComponentName, fault: string): number {
  if (!cluster.host) throw new Error(`${fault} needs the control plane's processes on this machine (this cluster is ${cluster.provider})`);
  const entry = cluster.host.processes().find((p) => p.component === component);
  if (!entry) throw new Error(`${fault}: no ${component} process in this cluster`);
  return entry.pid;
}

export function localCgroup(cluster: Cluster, component: ComponentName, fault: string): MemoryCgroup {
  if (!cluster.host) throw new Error(`${fault} needs the control plane's cgroups on this machine (this cluster is ${cluster.provider})`);
  const entry = cluster.host.cgroups().find((c) => c.component === component);
  if (!entry) throw new Error(`${fault}: ${component} has no memory cgroup`);
  return entry.cgroup;
}
