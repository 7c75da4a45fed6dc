import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { InfrastructureError, messageOf, UsageError } from '../errors.js';
import { withInterrupt } from '../interrupt.js';
import { note, write } from './shared.js';

const positive = (flag: string, integer: boolean) => (text: string) => {
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new UsageError(`${flag} must be a positive ${integer ? 'whole ' : ''}number, got "${text}"`);
  return value;
};

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description(
      "read an existing cluster's shape (object counts, namespaces, size quantiles per kind, CRDs and their schema sizes, nodes, APF) with paged read-only LISTs, and write the seed sets and agents that rebuild it; no name, label or data of the cluster is kept",
    )
    .requiredOption('--context <context>', 'the kubeconfig context to read (required: never the current one by default)')
    .option('--kubeconfig <file>', 'the kubeconfig file (default $KUBECONFIG, else ~/.kube/config)')
    .option('--out <file>', 'write the experiment fragment (seed: and agents:) here instead of printing it')
    .option('--scale <factor>', 'rebuild this many times the cluster (counts and namespaces)', positive('--scale', false), 1)
    .option('--page-size <n>', 'objects per LIST page (small, so the apiserver never builds a large response)', positive('--page-size', true), 100)
    .option('--json <file>', 'also write the whole profile as JSON')
    .action(async (flags: { context: string; kubeconfig?: string; out?: string; scale: number; pageSize: number; json?: string }) => {
      const { KubeApiClient } = await import('../load/client.js');
      const { ClientStats } = await import('../metrics/client-stats.js');
      const { defaultKubeconfig } = await import('../util/kubeconfig-path.js');
      const { startProgress } = await import('../ui/progress.js');
      const { profileCluster } = await import('../profile/profile.js');
      const { shapeFragment, shapeWarnings } = await import('../profile/fragment.js');
      const kubeconfig = flags.kubeconfig ?? defaultKubeconfig();
      const client = await KubeApiClient.fromKubeconfig(kubeconfig, new ClientStats(), { context: flags.context }).catch((error: unknown) => {
        throw new UsageError(`profile: ${messageOf(error)}`);
      });
      try {
        const shape = await withInterrupt((signal) =>
          profileCluster({ client, pageSize: flags.pageSize, signal, progress: startProgress(`profile ${flags.context}`) }).catch((error: unknown) => {
            if (signal.aborted) throw error;
            throw new InfrastructureError(`profile of ${flags.context}: ${messageOf(error)}`);
          }),
        );
        const fragment = shapeFragment(shape, flags.scale);
        shapeWarnings(shape, flags.scale).forEach((warning) => note(`profile: ${warning}`));
        if (flags.json) await fs.writeFile(flags.json, `${JSON.stringify(shape, null, 2)}\n`);
        if (flags.out) {
          await fs.writeFile(flags.out, fragment);
          note(`profile: ${flags.out}`);
        } else write(fragment.trimEnd());
      } finally {
        client.close();
      }
    });
}
