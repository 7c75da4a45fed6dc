import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../../paths.js';
import { imageLabel } from '../../util/docker.js';
import { withLock } from '../lock.js';
import { resolveBinaries, type ResolvedBinaries } from '../resolve.js';
import type { BinaryName } from '../types.js';
import { versionSet } from '../versions.js';
import { baseDir, ensureBaseRootfs } from './base.js';
import { componentImage, etcdVersionOfTag, parseImageRef, sandboxImage, type ImageRef } from './component-images.js';
import { importImages } from './containerd-import.js';
import { writeImageArchive } from './image-archive.js';
import { defaultCniManifest, defaultStorageManifest } from './node-network.js';
import { standinBinary } from './standins.js';
import { run, type Step } from './step.js';

/** Images we build are ours, never passed off as kind's: kindest/node stays what kind publishes. */
export function builtNodeImage(kubernetesVersion: string): string {
  return `cpchaos/kind-node:${kubernetesVersion}`;
}

const recipeLabel = 'io.cpchaos.recipe';

/**
 * Where the node's user namespace-free sandbox cannot lower oom_score_adj (the host's
 * bounding set lacks CAP_SYS_RESOURCE), containerd must not try to: kind's setting for
 * rootless nodes. Decided at build time, so it is part of the recipe.
 */
export async function hostLacksSysResource(): Promise<boolean> {
  const status = await fs.readFile('/proc/self/status', 'utf8');
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return bounding !== undefined && (BigInt(`0x${bounding}`) & (1n << 24n)) === 0n;
}

async function recipe(kubernetesVersion: string, restrictOomScoreAdj: boolean): Promise<string> {
  const own = await Promise.all(
    ['node-image.ts', 'component-images.ts', 'image-archive.ts', 'containerd-import.ts'].map((f) =>
      fs.readFile(path.join(import.meta.dirname, f.replace(/\.ts$/, '.js')), 'utf8').catch(() => ''),
    ),
  );
  return createHash('sha256')
    .update(JSON.stringify({ kubernetesVersion, restrictOomScoreAdj, base: baseDir(), own }))
    .digest('hex')
    .slice(0, 16);
}

/** `kubeadm config images list` for the version, from the kubeadm that goes into the node. */
async function requiredImages(step: Step, kubeadm: string, kubernetesVersion: string, containerdConfig: string): Promise<ImageRef[]> {
  const listed = (await run(step, kubeadm, ['config', 'images', 'list', '--kubernetes-version', kubernetesVersion]))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return [...listed.filter((ref) => !/\/pause:/.test(ref)), sandboxImage(containerdConfig)].map(parseImageRef);
}

async function obtainBinaries(step: Step, kubernetesVersion: string, images: ImageRef[], quiet: boolean): Promise<(name: BinaryName) => string> {
  const etcd = images.find((i) => i.name === 'etcd');
  const coredns = images.find((i) => i.name === 'coredns');
  const versions = versionSet(kubernetesVersion, { ...(etcd ? { etcd: etcdVersionOfTag(etcd.tag) } : {}), ...(coredns ? { coredns: coredns.tag } : {}) });
  const names: BinaryName[] = [
    'kube-apiserver',
    'kube-controller-manager',
    'kube-scheduler',
    'kube-proxy',
    ...(etcd ? (['etcd'] as const) : []),
    ...(coredns ? (['coredns'] as const) : []),
  ];
  step.progress(`binaries for the images: ${names.join(', ')}`);
  const resolved: ResolvedBinaries = await resolveBinaries({ versions, names, quiet, signal: step.signal });
  return (name) => {
    const found = resolved[name];
    if (!found) throw new Error(`no ${name} binary`);
    return found.path;
  };
}

async function installNodeFiles(rootfs: string, node: ResolvedBinaries, kubernetesVersion: string, restrictOomScoreAdj: boolean): Promise<void> {
  // kind's kubelet unit runs /usr/bin/kubelet; `kind build node-image` puts all three there.
  for (const name of ['kubelet', 'kubeadm', 'kubectl'] as const) {
    await fs.copyFile(node[name]!.path, path.join(rootfs, 'usr', 'bin', name));
    await fs.chmod(path.join(rootfs, 'usr', 'bin', name), 0o755);
  }
  await fs.writeFile(path.join(rootfs, 'kind', 'version'), kubernetesVersion);
  await fs.mkdir(path.join(rootfs, 'kind', 'manifests'), { recursive: true });
  await fs.writeFile(path.join(rootfs, 'kind', 'manifests', 'default-cni.yaml'), defaultCniManifest);
  await fs.writeFile(path.join(rootfs, 'kind', 'manifests', 'default-storage.yaml'), defaultStorageManifest);
  if (restrictOomScoreAdj) {
    const file = path.join(rootfs, 'etc', 'containerd', 'config.toml');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('restrict_oom_score_adj = false', 'restrict_oom_score_adj = true'));
  }
}

async function buildImages(step: Step, rootfs: string, images: ImageRef[], binary: (name: BinaryName) => string, workDir: string): Promise<string[]> {
  const pause = await standinBinary(step, 'pause');
  const archives: string[] = [];
  for (const image of images) {
    const spec = await componentImage(step, image, { binary, pause, rootfs }, path.join(workDir, 'roots'));
    if (!spec) {
      step.progress(`no offline build for ${image.ref}: the node will try to pull it`);
      continue;
    }
    step.progress(`image ${image.ref}`);
    const archive = path.join(workDir, `${image.name}.tar`);
    await writeImageArchive(step, spec, archive);
    archives.push(archive);
  }
  return archives;
}

async function dockerImport(step: Step, rootfs: string, tag: string, recipeHash: string): Promise<void> {
  step.progress(`docker import ${tag}`);
  // kind's image also sets STOPSIGNAL SIGRTMIN+3, which `docker import` cannot; kind removes nodes with `docker rm -f`, so it is never used.
  const changes = ['ENV container=docker', 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]', `LABEL ${recipeLabel}=${recipeHash}`];
  await run(step, 'bash', [
    '-o',
    'pipefail',
    '-c',
    `tar -C "$1" --numeric-owner -cf - . | docker import ${changes.map((c) => `--change '${c}'`).join(' ')} - "$2"`,
    'import',
    rootfs,
    tag,
  ]);
}

/** Builds the node image into a work folder under the cache (a GB or so; /tmp may be small) and removes the folder. */
async function build(step: Step, kubernetesVersion: string, tag: string, recipeHash: string, restrictOomScoreAdj: boolean, quiet: boolean): Promise<void> {
  const nodeBinaries = await resolveBinaries({ versions: versionSet(kubernetesVersion), names: ['kubelet', 'kubeadm', 'kubectl'], quiet, signal: step.signal });
  const base = await ensureBaseRootfs(step);
  const images = await requiredImages(
    step,
    nodeBinaries.kubeadm!.path,
    kubernetesVersion,
    await fs.readFile(path.join(base, 'etc', 'containerd', 'config.toml'), 'utf8'),
  );
  const binary = await obtainBinaries(step, kubernetesVersion, images, quiet);
  // A build that was killed outright left its work folder; under this version's lock nothing else uses one.
  const parent = path.join(cacheDir(), 'kind-image');
  for (const stale of (await fs.readdir(parent)).filter((d) => d.startsWith(`work-${kubernetesVersion}-`)))
    await fs.rm(path.join(parent, stale), { recursive: true, force: true });
  const workDir = await fs.mkdtemp(path.join(parent, `work-${kubernetesVersion}-`));
  try {
    const rootfs = path.join(workDir, 'rootfs');
    step.progress('copying the base');
    await run(step, 'cp', ['-a', '--reflink=auto', base, rootfs]);
    await installNodeFiles(rootfs, nodeBinaries, kubernetesVersion, restrictOomScoreAdj);
    await importImages(step, rootfs, await buildImages(step, rootfs, images, binary, workDir));
    await dockerImport(step, rootfs, tag, recipeHash);
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/**
 * A kind node image for `kubernetesVersion`, built offline unless an image of the
 * same recipe is already in Docker. Locked per version against concurrent builds.
 */
export async function buildNodeImage(step: Step, kubernetesVersion: string, options: { quiet?: boolean } = {}): Promise<{ image: string; built: boolean }> {
  const tag = builtNodeImage(kubernetesVersion);
  const restrict = await hostLacksSysResource();
  const recipeHash = await recipe(kubernetesVersion, restrict);
  if ((await imageLabel(tag, recipeLabel)) === recipeHash) return { image: tag, built: false };
  const lockDir = path.join(cacheDir(), 'kind-image', `node-${kubernetesVersion}`);
  return withLock(
    lockDir,
    async () => {
      if ((await imageLabel(tag, recipeLabel)) === recipeHash) return { image: tag, built: false };
      await build(step, kubernetesVersion, tag, recipeHash, restrict, options.quiet ?? false);
      // The previous build of this tag, if any, is dangling now: cache that nothing will use again.
      await execa('docker', ['image', 'prune', '-f', '--filter', `label=${recipeLabel}`], { reject: false });
      return { image: tag, built: true };
    },
    () => step.progress(`waiting for another cpchaos process that is building ${tag}`),
  );
}
