import path from 'node:path';
import type { Command } from 'commander';
import { openCgroup } from '../cluster/cgroup/detect.js';
import { isAlive } from '../cluster/process.js';
import { listClusterDirs, loadState, type ClusterState } from '../cluster/state.js';
import { formatBytes } from '../units.js';
import { write } from './shared.js';

async function cgroupSummary(state: ClusterState, cgroupPath: string | undefined): Promise<string> {
  if (!cgroupPath) return '';
  const cgroup = openCgroup(state.cgroupVersion, cgroupPath);
  const usage = await cgroup.usage().catch(() => undefined);
  const limit = await cgroup.limit().catch(() => undefined);
  const ooms = await cgroup.oomKills().catch(() => 0);
  if (usage === undefined) return '';
  return `memory ${formatBytes(usage)}${limit ? ` of ${formatBytes(limit)}` : ''}, OOM kills ${ooms}`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('list local clusters with their processes, memory and OOM kills')
    .action(async () => {
      const dirs = await listClusterDirs();
      if (dirs.length === 0) write('no clusters');
      for (const dir of dirs) {
        const state = await loadState(dir);
        if (!state) {
          write(`${path.basename(dir)}: incomplete (no state file); remove with cpchaos down --all`);
          continue;
        }
        write(`${state.name}: ${state.status}, ${state.server ?? 'no server yet'}, kubeconfig ${state.kubeconfig ?? '-'}`);
        for (const [component, record] of Object.entries(state.processes)) {
          if (!record) continue;
          const cgroup = await cgroupSummary(state, state.cgroups[component as keyof ClusterState['cgroups']]);
          write(`  ${component.padEnd(20)} pid ${String(record.pid).padEnd(8)} ${isAlive(record.pid) ? 'running' : 'gone   '} ${cgroup}`);
        }
      }
    });
}
