import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { writeImageArchive } from '../binaries/kind-image/image-archive.js';
import { copyWithLibraries } from '../binaries/kind-image/rootfs-subset.js';
import { run, type Step } from '../binaries/kind-image/step.js';
import { ltsNodeMajor, nodeRelease } from '../binaries/node-release.js';
import { cacheDir } from '../paths.js';

/** This checkout of cpchaos: the image carries its compiled code and production dependencies. */
const projectRoot = path.resolve(import.meta.dirname, '..', '..', '..');

/** The compiled folders the image carries: the program, and the report page's script. */
const codeParts = ['src', 'browser'];

/** Every compiled file cpchaos can load, so the image tag changes whenever the code does. */
async function codeHash(node: string): Promise<string> {
  const hash = createHash('sha256').update((await execa(node, ['--version'])).stdout);
  hash.update(await fs.readFile(path.join(projectRoot, 'package-lock.json')));
  for (const part of codeParts) {
    const files = (await fs.readdir(path.join(projectRoot, 'dist', part), { recursive: true })).filter((f) => f.endsWith('.js')).sort();
    for (const file of files) hash.update(`${part}/${file}`).update(await fs.readFile(path.join(projectRoot, 'dist', part, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

/** The top folders of node_modules that production needs (npm's own list, nested ones come along). */
async function productionPackages(step: Step): Promise<string[]> {
  const out = await run(step, 'npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: projectRoot });
  const modules = path.join(projectRoot, 'node_modules') + path.sep;
  return [
    ...new Set(
      out
        .split('\n')
        .filter((line) => line.startsWith(modules))
        .map((line) => {
          const parts = line.slice(modules.length).split(path.sep);
          return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
        }),
    ),
  ];
}

/** Where the image keeps node. */
const imageNode = '/usr/local/bin/node';

/**
 * The Node.js the image runs on: the current LTS from the npm registry, whose OpenSSL makes
 * the agents' reconnects cheaper; this process's own where npm cannot be reached.
 */
async function imageNodeBinary(progress: (text: string) => void): Promise<string> {
  try {
    return await nodeRelease(ltsNodeMajor, progress);
  } catch (error) {
    progress(`${(error as Error).message}; the cpchaos image runs on this runner's Node.js ${process.version} instead`);
    return process.execPath;
  }
}

async function fillRoot(step: Step, root: string, node: string): Promise<void> {
  // Node and the libraries it loads, from this machine: the image needs no base and no registry.
  await copyWithLibraries(step, '/', [node], root, { [node]: imageNode });
  const app = path.join(root, 'app');
  await fs.mkdir(path.join(app, 'node_modules'), { recursive: true });
  await fs.cp(path.join(projectRoot, 'package.json'), path.join(app, 'package.json'));
  await fs.cp(path.join(projectRoot, 'bin'), path.join(app, 'bin'), { recursive: true });
  // The report page's script is a bundle of its own (tsconfig.browser.json): without it no run in the image writes report.html.
  for (const part of codeParts) await fs.cp(path.join(projectRoot, 'dist', part), path.join(app, 'dist', part), { recursive: true });
  for (const name of await productionPackages(step))
    await fs.cp(path.join(projectRoot, 'node_modules', name), path.join(app, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
  await fs.mkdir(path.join(root, 'tmp'), { mode: 0o1777 });
}

export interface CpchaosImage {
  ref: string;
  /** The docker-archive tarball, cached under the binary cache. */
  archive: string;
}

/**
 * Writes the image as a docker-archive at `out`. The same checkout and Node.js give the same
 * bytes, and so the same image id: the root is filled in a fixed order and the archive
 * writer fixes owners, times and entry order.
 */
export async function writeCpchaosImage(ref: string, node: string, out: string, step: Step): Promise<void> {
  const root = await fs.mkdtemp(path.join(path.dirname(out), 'root-'));
  try {
    step.progress('collecting node, the compiled code and its production dependencies');
    await fillRoot(step, root, node);
    step.progress('writing the image archive');
    // One entrypoint for both uses: `run ...` on a schedule, `agent ...` as a shard of a fleet.
    await writeImageArchive(step, { ref, root, entrypoint: [imageNode, '/app/bin/cpchaos.js'], env: ['PATH=/usr/bin:/bin', 'HOME=/tmp'] }, out);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/**
 * The image of cpchaos: Node.js LTS, cpchaos's compiled code and its production
 * dependencies, entrypoint `cpchaos`. It serves the runner of a scheduled run
 * (`cpchaos run ...`) and the shards of a sharded fleet (`cpchaos agent ...`). Built
 * from this checkout without a registry (the same docker-archive writer as the kind
 * node image) and cached by the hash of the code. Users with a registry build the
 * Dockerfile instead.
 */
export async function cpchaosImage(progress: (text: string) => void = () => undefined, signal?: AbortSignal): Promise<CpchaosImage> {
  const node = await imageNodeBinary(progress);
  const tag = `${process.env.npm_package_version ?? '0.1.0'}-${await codeHash(node)}`;
  const dir = path.join(cacheDir(), 'image');
  const archive = path.join(dir, `cpchaos-${tag}.tar`);
  const ref = `cpchaos.local/cpchaos:${tag}`;
  if (await fs.stat(archive).catch(() => undefined)) return { ref, archive };
  await fs.mkdir(dir, { recursive: true });
  const log = createWriteStream(path.join(dir, 'build.log'), { flags: 'a' });
  try {
    await writeCpchaosImage(ref, node, `${archive}.partial`, { progress, log, signal });
    await fs.rename(`${archive}.partial`, archive);
    await pruneArchives(dir, archive);
    return { ref, archive };
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
}

/** Archives of earlier code are 180 MB each and never used again; one a run beside us may still be loading is left for a while. */
async function pruneArchives(dir: string, keep: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    if (!name.startsWith('cpchaos-') || file === keep) continue;
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > 3_600_000) await fs.rm(file, { force: true });
  }
}

/** kind nodes name themselves in their providerID: kind://docker/<cluster>/<node container>. */
export function kindNodeContainer(providerID: string | undefined): string | undefined {
  return /^kind:\/\/docker\/[^/]+\/(.+)$/.exec(providerID ?? '')?.[1];
}

/** Puts the image into the containerd of each kind node, as `kind load image-archive` does. */
export async function loadIntoKindNodes(image: CpchaosImage, containers: string[], signal?: AbortSignal): Promise<void> {
  for (const container of containers) {
    const result = await execa('docker', ['exec', '-i', container, 'ctr', '--namespace=k8s.io', 'images', 'import', '--digests', '-'], {
      inputFile: image.archive,
      reject: false,
      all: true,
      cancelSignal: signal,
    });
    if (result.exitCode !== 0)
      throw new Error(`loading ${image.ref} into kind node ${container} failed: ${String(result.all).trim().split('\n').slice(-3).join(' ')}`);
  }
}
