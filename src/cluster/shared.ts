import { get } from './https.js';
import type { ApiserverAccess, ComponentName, ComponentStatus, MemoryCgroup } from '../core/cluster.js';

/**
 * What every provider does the same way, written once: GET /readyz and a component's
 * status from its process and cgroup. Providers call these and implement only what differs.
 */
export async function apiserverReady(access: ApiserverAccess, timeoutMs = 2_000): Promise<boolean> {
  return (await get(`${access.server}/readyz`, access, timeoutMs).catch(() => undefined))?.status === 200;
}

export async function processStatus(name: ComponentName, pid: number, alive: boolean, cgroup: MemoryCgroup | undefined): Promise<ComponentStatus> {
  return {
    name,
    pid,
    alive,
    cgroup: cgroup?.path,
    memoryLimitBytes: await cgroup?.limit().catch(() => undefined),
    memoryUsageBytes: await cgroup?.usage().catch(() => undefined),
    oomKills: (await cgroup?.oomKills().catch(() => 0)) ?? 0,
  };
}
