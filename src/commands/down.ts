import path from 'node:path';
import type { Command } from 'commander';
import { InfrastructureError, UsageError } from '../errors.js';
import { ownerAlive } from '../cluster/process.js';
import { clusterDir, listClusterDirs, loadState } from '../cluster/state.js';
import { note } from './shared.js';

/** Clusters whose owner is gone; the others (runs in progress) are named and left alone unless forced. */
async function reapable(dirs: string[], force: boolean): Promise<string[]> {
  const result: string[] = [];
  for (const dir of dirs) {
    const state = await loadState(dir);
    if (!force && state && ownerAlive({ pid: state.ownerPid, startTicks: state.ownerStartTicks })) {
      note(`${path.basename(dir)}: left alone, its run (pid ${state.ownerPid}) is still running (--force stops it too)`);
      continue;
    }
    if (force && state && ownerAlive({ pid: state.ownerPid, startTicks: state.ownerStartTicks }))
      note(`${path.basename(dir)}: stopping it although its run (pid ${state.ownerPid}) is still running (--force)`);
    result.push(dir);
  }
  return result;
}

export function registerDown(program: Command): void {
  program
    .command('down')
    .description(
      'stop a local cluster: its processes, cgroups and data (--all also reaps what a killed runner left); with --existing, delete what runs left on an existing cluster',
    )
    .option('--name <name>', 'the cluster to stop')
    .option(
      '--all',
      'stop every cluster cpchaos started on this machine whose owner is gone (`up` clusters, runs that were killed), local and kind, with their Docker networks and folders; clusters of runs still running are left alone and listed',
    )
    .option('--force', 'with --all: also stop the clusters of runs that are still running (they then fail)')
    .option('--keep', 'keep the data folder (logs, etcd data) for inspection')
    .option('--existing', 'delete every object any cpchaos run created (label cpchaos.io/run) on the cluster of --context')
    .option('--context <context>', 'with --existing: the kubeconfig context (required, never the current one by default)')
    .option('--kubeconfig <file>', 'with --existing: the kubeconfig file (default $KUBECONFIG, else ~/.kube/config)')
    .option('--run <run-id>', 'with --existing: only the objects of this run')
    .action(
      async (flags: {
        name?: string;
        all?: boolean;
        force?: boolean;
        keep?: boolean;
        existing?: boolean;
        context?: string;
        kubeconfig?: string;
        run?: string;
      }) => {
        if (flags.existing) {
          if (!flags.context) throw new UsageError('--existing needs --context: the exact kubeconfig context to clean up');
          const { cleanExisting } = await import('../cluster/existing.js');
          const result = await cleanExisting({ context: flags.context, kubeconfig: flags.kubeconfig, runId: flags.run });
          const deleted =
            Object.entries(result.deleted)
              .map(([kind, n]) => `${n} ${kind}`)
              .join(', ') || 'nothing';
          note(`${flags.context}: deleted ${deleted}`);
          if (result.failed.length) throw new InfrastructureError(`${result.failed.length} deletions failed: ${result.failed.slice(0, 3).join('; ')}`);
          return;
        }
        if (!flags.name && !flags.all) throw new UsageError('name a cluster with --name N, or use --all');
        if (flags.name && flags.all) throw new UsageError('use either --name or --all, not both');
        if (flags.force && !flags.all) throw new UsageError('--force goes with --all');
        const dirs = flags.all ? await reapable(await listClusterDirs(), flags.force ?? false) : [clusterDir(flags.name!)];
        if (flags.name && !(await listClusterDirs()).includes(dirs[0]!)) {
          throw new UsageError(`no cluster named "${flags.name}" (see cpchaos status)`);
        }
        const { teardownCluster } = await import('../cluster/teardown.js');
        for (const dir of dirs) {
          const report = await teardownCluster(dir, { keep: flags.keep });
          const kept = flags.keep ? `; data kept in ${dir}` : '';
          note(`${path.basename(dir)}: stopped ${report.stoppedProcesses} processes, removed ${report.removedCgroups} cgroups${kept}`);
        }
        if (flags.all) {
          // kind clusters a killed run left behind: named cpchaos-*.
          const { leftoverKindClusters, deleteKindCluster } = await import('../cluster/kind.js');
          const leftovers = await leftoverKindClusters({ force: flags.force });
          for (const name of leftovers?.names ?? []) {
            await deleteKindCluster(leftovers!.kind, name);
            note(`${name}: kind cluster deleted`);
          }
          if (dirs.length === 0 && !leftovers?.names.length) note('no clusters to stop');
        }
      },
    );
}
