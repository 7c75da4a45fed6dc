import fs from 'node:fs/promises';
import type { MemoryCgroup } from '../../core/cluster.js';
import path from 'node:path';
import { killAndRemove, readKeyed, readNumber, readPids, readText } from './files.js';
import type { CgroupDriver } from './types.js';

export class MemoryCgroupV2 implements MemoryCgroup {
  readonly procsFile: string;

  constructor(readonly path: string) {
    this.procsFile = `${path}/cgroup.procs`;
  }

  async setLimit(bytes: number | undefined): Promise<void> {
    const value = bytes === undefined ? 'max' : String(bytes);
    await fs.writeFile(`${this.path}/memory.max`, value);
    // Without this a limited process swaps instead of being OOM-killed, unlike a kubelet-managed apiserver.
    await fs.writeFile(`${this.path}/memory.swap.max`, bytes === undefined ? 'max' : '0').catch(() => undefined);
  }

  async limit(): Promise<number | undefined> {
    const value = await readText(`${this.path}/memory.max`);
    return value === 'max' ? undefined : Number(value);
  }

  usage(): Promise<number> {
    return readNumber(`${this.path}/memory.current`);
  }

  async peak(): Promise<number | undefined> {
    // memory.peak exists from Linux 5.19.
    return readNumber(`${this.path}/memory.peak`).catch(() => undefined);
  }

  async oomKills(): Promise<number> {
    return (await readKeyed(`${this.path}/memory.events`)).get('oom_kill') ?? 0;
  }

  pids(): Promise<number[]> {
    return readPids(this.procsFile);
  }

  async remove(): Promise<void> {
    // cgroup.kill (Linux 5.14+) kills the whole subtree atomically; the pid loop in killAndRemove covers older kernels.
    await fs.writeFile(`${this.path}/cgroup.kill`, '1').catch(() => undefined);
    await killAndRemove(this.path, (dir) => `${dir}/cgroup.procs`);
  }
}

async function enableMemoryController(dir: string): Promise<void> {
  const enabled = await readText(`${dir}/cgroup.subtree_control`).catch(() => '');
  if (!enabled.split(' ').includes('memory')) await fs.writeFile(`${dir}/cgroup.subtree_control`, '+memory');
}

export function cgroupV2Driver(mount: string, parentOverride?: string): CgroupDriver {
  // v2 forbids processes in a cgroup whose children use controllers, so our own
  // cgroup (which holds us) cannot be the parent; a top-level folder can.
  // A user with a delegated subtree points CPCHAOS_CGROUP_PARENT at it instead.
  const parent = parentOverride ?? path.join(mount, 'cpchaos');
  return {
    version: 2,
    parent,
    async create(relativePath: string) {
      const dir = path.join(parent, relativePath);
      await fs.mkdir(dir, { recursive: true });
      // Every ancestor from the mount down must delegate the memory controller.
      const chain: string[] = [];
      for (let at = path.dirname(dir); at.startsWith(mount) && at.length >= mount.length; at = path.dirname(at)) {
        chain.unshift(at);
        if (at === mount) break;
      }
      for (const ancestor of chain) await enableMemoryController(ancestor);
      return new MemoryCgroupV2(dir);
    },
  };
}
