/**
 * Holds a running process to a share of a core with a CPU cgroup (v1 `cpu.cfs_quota_us`, v2 `cpu.max`), so that a few
 * hundred agents meet an apiserver as short of CPU as thousands meet it on this 2-core machine. Bench-only: the product
 * limits memory, not CPU.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sleep } from '../src/util/wait.js';

const mount = '/sys/fs/cgroup';
const periodUs = 100_000;

/** The process's cgroup for `controller` ("cpu" on v1, "" for v2's unified line "0::/path"). */
async function cgroupOf(pid: number, controller: string): Promise<string | undefined> {
  const lines = (await fs.readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const line = lines.map((l) => l.split(':')).find(([, controllers]) => (controller ? controllers?.split(',').includes(controller) : controllers === ''));
  return line?.[2];
}

async function isV2(): Promise<boolean> {
  const controllers = await fs.readFile(`${mount}/cgroup.controllers`, 'utf8').catch(() => undefined);
  return controllers?.split(/\s+/).includes('cpu') ?? false;
}

/** Puts `pid` under a quota of `cores` and returns how to let it go (it moves back where it was; the cgroup is removed). */
export async function limitCpu(pid: number, cores: number): Promise<() => Promise<void>> {
  const quotaUs = Math.max(1000, Math.round(cores * periodUs));
  const v2 = await isV2();
  const root = v2 ? mount : path.join(mount, 'cpu');
  const was = path.join(root, (await cgroupOf(pid, v2 ? '' : 'cpu')) ?? '/');
  const dir = path.join(root, `cpchaos-bench-cpu-${process.pid}`);
  await fs.mkdir(dir, { recursive: true });
  if (v2) {
    // The cpu controller must be delegated to the root's children; a process may not sit in the root's cgroup itself.
    const enabled = await fs.readFile(`${mount}/cgroup.subtree_control`, 'utf8');
    if (!enabled.split(/\s+/).includes('cpu')) await fs.writeFile(`${mount}/cgroup.subtree_control`, '+cpu');
    await fs.writeFile(`${dir}/cpu.max`, `${quotaUs} ${periodUs}`);
  } else {
    await fs.writeFile(`${dir}/cpu.cfs_period_us`, String(periodUs));
    await fs.writeFile(`${dir}/cpu.cfs_quota_us`, String(quotaUs));
  }
  await fs.writeFile(`${dir}/cgroup.procs`, String(pid));
  return async () => {
    await fs.writeFile(`${was}/cgroup.procs`, String(pid)).catch(() => undefined);
    // A process that exits leaves its cgroup a moment later.
    const removed = () =>
      fs.rmdir(dir).then(
        () => true,
        () => false,
      );
    for (let tries = 0; tries < 50 && !(await removed()); tries++) await sleep(100);
  };
}
