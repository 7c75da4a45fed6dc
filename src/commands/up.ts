import { Option, type Command } from 'commander';
import { collectKeyValue, parseComponents, parseFeatureGates, parseMemoryLimits } from '../cli-options.js';
import type { ClusterEvent, ClusterSpec, ComponentName } from '../core/cluster.js';
import { featureGateProblem } from '../binaries/feature-gates.js';
import { UsageError } from '../errors.js';
import { withInterrupt } from '../interrupt.js';
import { sleep } from '../util/wait.js';
import { binDirOption, kubernetesVersionOption, note, write } from './shared.js';

interface UpFlags {
  name?: string;
  components: ComponentName[];
  memoryLimit: Partial<Record<ComponentName, number>>;
  apiserverArg: Record<string, string>;
  featureGates: Record<string, boolean>;
  kubernetesVersion: string;
  etcdVersion?: string;
  binDir?: string;
  foreground?: boolean;
  unsafeNoFsync?: boolean;
}

export function describeEvent(event: ClusterEvent): string {
  switch (event.type) {
    case 'oom-kill':
      return `${event.at} OOM kill: ${event.component} (kills so far: ${event.count})`;
    case 'exited':
      return `${event.at} exited: ${event.component} (${event.signal ?? `code ${event.code}`})`;
    case 'started':
      return `${event.at} started: ${event.component} (pid ${event.pid})`;
    case 'restarting':
      return `${event.at} restarting ${event.component} in ${event.backoffMs / 1000}s`;
    case 'lost':
      return `${event.at} lost: ${event.reason}`;
  }
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a local control plane (real etcd + kube-apiserver on 127.0.0.1) and print its kubeconfig path')
    .option('--name <name>', 'cluster name (default: a random cp-xxxxxx)')
    .addOption(new Option('--components <list>', 'extra components: controller-manager,scheduler').argParser(parseComponents).default([]))
    .addOption(new Option('--memory-limit <limits>', 'cgroup memory limits, e.g. apiserver=2Gi,etcd=1Gi').argParser(parseMemoryLimits).default({}))
    .addOption(new Option('--apiserver-arg <flag=value>', 'extra kube-apiserver flag (repeatable)').argParser(collectKeyValue).default({}))
    .addOption(new Option('--feature-gates <gates>', 'apiserver feature gates, e.g. WatchList=true').argParser(parseFeatureGates).default({}))
    .addOption(kubernetesVersionOption())
    .option('--etcd-version <version>', 'etcd version (default: the one the Kubernetes version ships with)')
    .addOption(binDirOption())
    .option('--unsafe-no-fsync', 'run etcd without fsync (faster; never for experiments that measure etcd)')
    .option('--foreground', 'stay attached: print OOM kills and exits as they happen, tear down on Ctrl-C')
    .action(async (flags: UpFlags) => {
      for (const [gate, value] of Object.entries(flags.featureGates)) {
        const problem = featureGateProblem(gate, value, flags.kubernetesVersion);
        if (problem) throw new UsageError(problem);
      }
      const spec: ClusterSpec = {
        name: flags.name,
        kubernetesVersion: flags.kubernetesVersion,
        etcdVersion: flags.etcdVersion,
        components: flags.components,
        memoryLimits: flags.memoryLimit,
        apiserverArgs: flags.apiserverArg,
        featureGates: flags.featureGates,
        etcdUnsafeNoFsync: flags.unsafeNoFsync,
        binDir: flags.binDir,
      };
      await withInterrupt(async (signal) => {
        const started = Date.now();
        // Loaded on use: certificates and client libraries cost a second of start-up that --help should not pay.
        const { LocalProvider } = await import('../cluster/local.js');
        const cluster = await new LocalProvider().up(spec, { signal, onProgress: note });
        note(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s; stop it with: cpchaos down --name ${cluster.name}`);
        write(cluster.kubeconfigPath);
        if (!flags.foreground) return;
        cluster.watch();
        cluster.events.on('event', (event: ClusterEvent) => note(describeEvent(event)));
        await sleep(2 ** 31 - 1, signal).catch(() => undefined);
        await cluster.down();
        note(`cluster "${cluster.name}" removed`);
      });
    });
}
