import fs from 'node:fs/promises';
import path from 'node:path';
import { openCgroup } from './cgroup/detect.js';
import { commandLine, isAlive, stopProcess } from './process.js';
import { loadState, saveState } from './state.js';
import type { ComponentName } from '../core/cluster.js';

/** Stop order: clients of the apiserver first, etcd last, so nothing logs a storm of errors on the way down. */
const stopOrder: ComponentName[] = ['scheduler', 'controller-manager', 'apiserver', 'etcd'];

export interface TeardownReport {
  name: string;
  stoppedProcesses: number;
  removedCgroups: number;
  removedDir: boolean;
}

/**
 * Only signal a pid that still runs the binary we started: after a reboot or a
 * long time the pid may belong to something else.
 */
async function stillOurs(pid: number, binary: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const argv = await commandLine(pid);
  return argv !== undefined && argv.some((arg) => arg === binary || arg.endsWith(`/${path.basename(binary)}`));
}

/** Tears down a local cluster from its state folder. Safe to call twice, or on a half-started cluster. */
export async function teardownCluster(dir: string, options: { keep?: boolean } = {}): Promise<TeardownReport> {
  const report: TeardownReport = { name: path.basename(dir), stoppedProcesses: 0, removedCgroups: 0, removedDir: false };
  const state = await loadState(dir);
  if (state) {
    state.status = 'stopping';
    await saveState(state).catch(() => undefined);
    for (const component of stopOrder) {
      const record = state.processes[component];
      if (record && (await stillOurs(record.pid, record.binary))) {
        await stopProcess(record.pid);
        report.stoppedProcesses++;
      }
    }
    // Removing a cgroup SIGKILLs anything still in it: children a component forked, or a pid we could not match.
    for (const cgroup of Object.values(state.cgroups)) {
      if (
        cgroup &&
        (await fs.access(cgroup).then(
          () => true,
          () => false,
        ))
      ) {
        await openCgroup(state.cgroupVersion, cgroup).remove();
        report.removedCgroups++;
      }
    }
    if (state.cgroupRoot) {
      await fs.rmdir(state.cgroupRoot).catch(() => undefined);
      // The shared parent goes too once no other cluster uses it.
      await fs.rmdir(path.dirname(state.cgroupRoot)).catch(() => undefined);
    }
  }
  if (options.keep) {
    if (state) await saveState({ ...state, status: 'stopped', processes: {}, cgroups: {} }).catch(() => undefined);
  } else {
    await fs.rm(dir, { recursive: true, force: true });
    report.removedDir = true;
  }
  return report;
}
