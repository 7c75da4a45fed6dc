import fs from 'node:fs/promises';
import type { MemoryCgroup } from '../../core/cluster.js';
import path from 'node:path';
import { killAndRemove, readKeyed, readNumber, readPids, readText } from './files.js';
import type { CgroupDriver } from './types.js';

/** v1 reports "no limit" as a page-aligned LONG_MAX. */
const unlimitedV1 = 2 ** 62;

export class MemoryCgroupV1 implements MemoryCgroup {
  readonly procsFile: string;

  constructor(readonly path: string) {
    this.procsFile = `${path}/cgroup.procs`;
  }

  async setLimit(bytes: number | undefined): Promise<void> {
    const value = bytes === undefined ? '-1' : String(bytes);
    // With swap, memsw must stay >= the memory limit, so the order of the two writes matters.
    const memsw = `${this.path}/memory.memsw.limit_in_bytes`;
    const hasMemsw = await fs.access(memsw).then(
      () => true,
      () => false,
    );
    const current = await this.limit();
    // Unlimited counts as the largest value: lifting to unlimited grows, limiting from unlimited shrinks.
    const growing = bytes === undefined || (current !== undefined && bytes > current);
    if (hasMemsw && growing) await fs.writeFile(memsw, value);
    await fs.writeFile(`${this.path}/memory.limit_in_bytes`, value);
    if (hasMemsw && !growing) await fs.writeFile(memsw, value);
  }

  async limit(): Promise<number | undefined> {
    const value = await readNumber(`${this.path}/memory.limit_in_bytes`);
    return value >= unlimitedV1 ? undefined : value;
  }

  usage(): Promise<number> {
    return readNumber(`${this.path}/memory.usage_in_bytes`);
  }

  peak(): Promise<number | undefined> {
    return readNumber(`${this.path}/memory.max_usage_in_bytes`);
  }

  async oomKills(): Promise<number> {
    return (await readKeyed(`${this.path}/memory.oom_control`)).get('oom_kill') ?? 0;
  }

  pids(): Promise<number[]> {
    return readPids(this.procsFile);
  }

  remove(): Promise<void> {
    return killAndRemove(this.path, (dir) => `${dir}/cgroup.procs`);
  }
}

/** Our own memory cgroup, from /proc/self/cgroup ("4:memory:/some/path"). */
async function ownMemoryCgroup(mount: string): Promise<string> {
  const lines = (await readText('/proc/self/cgroup')).split('\n');
  const own = lines.map((line) => line.split(':')).find(([, controllers]) => controllers?.split(',').includes('memory'));
  return path.join(mount, own?.[2] ?? '/');
}

export async function cgroupV1Driver(mount: string, parentOverride?: string): Promise<CgroupDriver> {
  // Nest under our own cgroup: inside a container or a sandbox that is the part
  // of the tree we may write to, and it keeps our children inside its accounting.
  const parent = parentOverride ?? path.join(await ownMemoryCgroup(mount), 'cpchaos');
  return {
    version: 1,
    parent,
    async create(relativePath: string) {
      const dir = path.join(parent, relativePath);
      await fs.mkdir(dir, { recursive: true });
      return new MemoryCgroupV1(dir);
    },
  };
}
