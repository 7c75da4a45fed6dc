import type { Command } from 'commander';
import { allBinaries } from '../binaries/types.js';
import { versionSet } from '../binaries/versions.js';
import { withInterrupt } from '../interrupt.js';
import { binDirOption, kubernetesVersionOption, write } from './shared.js';

export function registerBinaries(program: Command): void {
  program
    .command('binaries')
    .description('obtain the control-plane binaries now (explicit path, cache, release download or Go build) and print where each came from')
    .addOption(kubernetesVersionOption())
    .option('--etcd-version <version>', 'etcd version (default: the one the Kubernetes version ships with)')
    .addOption(binDirOption())
    .action(async (options: { kubernetesVersion: string; etcdVersion?: string; binDir?: string }) => {
      const versions = versionSet(options.kubernetesVersion, options.etcdVersion ? { etcd: options.etcdVersion } : {});
      const { resolveBinaries } = await import('../binaries/resolve.js');
      const resolved = await withInterrupt((signal) => resolveBinaries({ versions, names: allBinaries, binDir: options.binDir, signal }));
      for (const name of allBinaries) {
        const binary = resolved[name];
        if (!binary) continue;
        const source = binary.cachedFrom ? `${binary.source} (${binary.cachedFrom})` : binary.source;
        write(`${name.padEnd(24)} ${source.padEnd(18)} ${binary.reportedVersion.padEnd(28)} ${binary.path}`);
      }
    });
}
