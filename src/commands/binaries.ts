import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { allBinaries } from '../binaries/types.js';
import { versionSet } from '../binaries/versions.js';
import { withInterrupt } from '../interrupt.js';
import { binDirOption, kubernetesVersionOption, write } from './shared.js';

async function kindImages(kubernetesVersion: string): Promise<void> {
  const { requireDocker } = await import('../util/docker.js');
  const { obtainNodeImage } = await import('../binaries/kind-image/obtain.js');
  await requireDocker();
  const { resolveKind } = await import('../binaries/kind-binary.js');
  write(`${'kind'.padEnd(24)} ${''.padEnd(18)} ${await resolveKind((line) => process.stderr.write(`${line}\n`))}`);
  const started = Date.now();
  const node = await withInterrupt((signal) => obtainNodeImage({ kubernetesVersion, controlPlanes: 3, signal }));
  write(`${'kind node image'.padEnd(24)} ${node.source.padEnd(18)} ${node.image} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  write(
    `${'kind load balancer'.padEnd(24)} ${String(node.loadBalancer).padEnd(18)} ${(await import('../binaries/kind-image/load-balancer.js')).kindLoadBalancerImage}`,
  );
}

async function nodeBinary(major: string): Promise<void> {
  if (!/^\d+$/.test(major)) throw new UsageError(`--node takes a major release such as 24, not ${major}`);
  const { nodeRelease } = await import('../binaries/node-release.js');
  write(await nodeRelease(Number(major), (line) => process.stderr.write(`${line}\n`)));
}

export function registerBinaries(program: Command): void {
  program
    .command('binaries')
    .description('obtain the control-plane binaries now (explicit path, cache, release download or Go build) and print where each came from')
    .addOption(kubernetesVersionOption())
    .option('--etcd-version <version>', 'etcd version (default: the one the Kubernetes version ships with)')
    .addOption(binDirOption())
    .option(
      '--kind-image',
      'instead: obtain kind, the kind node image (kindest/node if here or pullable, else built offline from Debian packages and Go-built binaries) and the HA load-balancer image; needs Docker, root and debootstrap',
    )
    .option('--node <major>', 'instead: install a Node.js of that major release (e.g. 24) from the npm registry into the cache, once, and print its path')
    .action(async (options: { kubernetesVersion: string; etcdVersion?: string; binDir?: string; kindImage?: boolean; node?: string }) => {
      if (options.kindImage) return kindImages(options.kubernetesVersion);
      if (options.node) return nodeBinary(options.node);
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
