import type { Command } from 'commander';
import { InfrastructureError } from '../errors.js';
import { note, write } from './shared.js';

/** The node containers of a kind cluster, by the label kind gives them. */
async function kindNodes(cluster: string): Promise<string[]> {
  const { execa } = await import('execa');
  const listed = await execa('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}'], { reject: false });
  const names = listed.stdout.split('\n').filter(Boolean);
  if (listed.exitCode !== 0 || names.length === 0) throw new InfrastructureError(`no running kind cluster "${cluster}" in this machine's Docker`);
  return names;
}

export function registerImage(program: Command): void {
  program
    .command('image')
    .description('build the image of cpchaos from this checkout, offline (runner and agent shards in one), and print its ref')
    .option('--load-kind <cluster>', 'also put it into every node of that kind cluster, as `kind load image-archive` does')
    .addHelpText(
      'after',
      '\nThe image is a docker-archive under the cache, named by the hash of the code: the same checkout gives the same image id.\nIts entrypoint is cpchaos: `run ...` (cpchaos schedule --image <ref>) or `agent ...` (sharded fleets).\nFor a registry, build the Dockerfile instead.',
    )
    .action(async (flags: { loadKind?: string }) => {
      const { cpchaosImage, loadIntoKindNodes } = await import('../image/image.js');
      const image = await cpchaosImage((text) => note(text));
      note(`archive: ${image.archive}`);
      if (flags.loadKind) {
        const nodes = await kindNodes(flags.loadKind);
        await loadIntoKindNodes(image, nodes);
        note(`loaded into ${nodes.join(', ')}`);
      }
      write(image.ref);
    });
}
