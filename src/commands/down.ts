import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { clusterDir, listClusterDirs } from '../cluster/state.js';
import { note } from './shared.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop a local cluster: its processes, cgroups and data (--all also reaps what a killed runner left)')
    .option('--name <name>', 'the cluster to stop')
    .option('--all', 'stop every cluster cpchaos started on this machine')
    .option('--keep', 'keep the data folder (logs, etcd data) for inspection')
    .action(async (flags: { name?: string; all?: boolean; keep?: boolean }) => {
      if (!flags.name && !flags.all) throw new UsageError('name a cluster with --name N, or use --all');
      if (flags.name && flags.all) throw new UsageError('use either --name or --all, not both');
      const dirs = flags.all ? await listClusterDirs() : [clusterDir(flags.name!)];
      if (flags.name && !(await listClusterDirs()).includes(dirs[0]!)) {
        throw new UsageError(`no cluster named "${flags.name}" (see cpchaos status)`);
      }
      const { teardownCluster } = await import('../cluster/teardown.js');
      for (const dir of dirs) {
        const report = await teardownCluster(dir, { keep: flags.keep });
        const kept = flags.keep ? `; data kept in ${dir}` : '';
        note(`${path.basename(dir)}: stopped ${report.stoppedProcesses} processes, removed ${report.removedCgroups} cgroups${kept}`);
      }
      if (flags.all && dirs.length === 0) note('no clusters to stop');
    });
}
