import fs from 'node:fs/promises';
import type { MemoryCgroup } from '../../core/cluster.js';
import { cgroupV1Driver } from './v1.js';
import { cgroupV2Driver } from './v2.js';
import type { CgroupDriver } from './types.js';
import { pathExists } from '../../util/paths.js';
import { MemoryCgroupV1 } from './v1.js';
import { MemoryCgroupV2 } from './v2.js';

/** A cgroup recorded in a cluster's state file, for status and teardown from another process. */
export function openCgroup(version: 1 | 2 | undefined, absolutePath: string): MemoryCgroup {
  return version === 2 ? new MemoryCgroupV2(absolutePath) : new MemoryCgroupV1(absolutePath);
}

const mountRoot = process.env.CPCHAOS_CGROUP_MOUNT ?? '/sys/fs/cgroup';

/**
 * The memory cgroup driver of this machine: v2 when the unified hierarchy is
 * mounted at /sys/fs/cgroup with the memory controller, else v1's memory
 * hierarchy. Undefined when neither is usable (not root, no cgroupfs).
 */
export async function detectCgroupDriver(): Promise<CgroupDriver | undefined> {
  const parentOverride = process.env.CPCHAOS_CGROUP_PARENT;
  const controllers = await fs.readFile(`${mountRoot}/cgroup.controllers`, 'utf8').catch(() => undefined);
  if (controllers?.split(/\s+/).includes('memory')) return cgroupV2Driver(mountRoot, parentOverride);
  if (await pathExists(`${mountRoot}/memory/memory.limit_in_bytes`)) return cgroupV1Driver(`${mountRoot}/memory`, parentOverride);
  return undefined;
}

export function cgroupWritableHint(driver: CgroupDriver | undefined): string {
  if (!driver) return 'no memory cgroup hierarchy was found under /sys/fs/cgroup';
  return `cannot create cgroups under ${driver.parent} (run as root, or point CPCHAOS_CGROUP_PARENT at a delegated cgroup)`;
}
