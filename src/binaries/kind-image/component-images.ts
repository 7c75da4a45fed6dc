import fs from 'node:fs/promises';
import path from 'node:path';
import type { BinaryName } from '../types.js';
import type { ImageSpec } from './image-archive.js';
import { copyWithLibraries, filesIn } from './rootfs-subset.js';
import type { Step } from './step.js';

/**
 * The images kubeadm runs for one Kubernetes version, made from our own binaries
 * under the exact names `kubeadm config images list` prints, so the node's
 * containerd already has them and nothing is pulled.
 */

export interface ImageRef {
  ref: string;
  /** The last path element of the repository: kube-apiserver, etcd, coredns, pause, ... */
  name: string;
  tag: string;
}

export function parseImageRef(ref: string): ImageRef {
  const colon = ref.lastIndexOf(':');
  const repository = ref.slice(0, colon);
  return { ref, name: repository.slice(repository.lastIndexOf('/') + 1), tag: ref.slice(colon + 1) };
}

/** etcd's image tag is `<version>-<build>` (3.5.24-0): the etcd release is the part before the dash. */
export function etcdVersionOfTag(tag: string): string {
  return `v${tag.replace(/^v/, '').split('-')[0]}`;
}

/** kind replaces kubeadm's pause image with the sandbox image its containerd config names. */
export function sandboxImage(containerdConfig: string): string {
  const match = /sandbox_image\s*=\s*"([^"]+)"/.exec(containerdConfig);
  if (!match) throw new Error("no sandbox_image in the node's containerd config");
  return match[1]!;
}

const path_ = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** kube-proxy programs iptables through Debian's xtables (nft backend, Debian's default), with its extensions. */
async function kubeProxyTools(step: Step, rootfs: string, root: string): Promise<void> {
  const programs = ['/usr/sbin/xtables-nft-multi', '/usr/sbin/xtables-legacy-multi', '/usr/sbin/conntrack'];
  const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const extensions = await filesIn(rootfs, `/usr/lib/${multiarch}/xtables`).catch(() => []);
  await copyWithLibraries(step, rootfs, [...programs, ...extensions], root);
  for (const family of ['iptables', 'ip6tables']) {
    for (const suffix of ['', '-save', '-restore']) {
      await fs.symlink('xtables-nft-multi', path.join(root, 'usr', 'sbin', `${family}${suffix}`));
      await fs.symlink('xtables-nft-multi', path.join(root, 'usr', 'sbin', `${family}-nft${suffix}`));
      await fs.symlink('xtables-legacy-multi', path.join(root, 'usr', 'sbin', `${family}-legacy${suffix}`));
    }
  }
}

export interface ImageSources {
  binary(name: BinaryName): string;
  pause: string;
  rootfs: string;
}

/** The image for one ref kubeadm names; undefined for one we do not know how to make. */
export async function componentImage(step: Step, image: ImageRef, sources: ImageSources, workDir: string): Promise<ImageSpec | undefined> {
  const root = path.join(workDir, image.name);
  await fs.mkdir(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
  const put = async (from: string, to: string) => {
    await fs.copyFile(from, path.join(root, to));
    await fs.chmod(path.join(root, to), 0o755);
  };
  switch (image.name) {
    case 'kube-apiserver':
    case 'kube-controller-manager':
    case 'kube-scheduler':
    case 'kube-proxy':
    case 'etcd':
      await put(sources.binary(image.name), `usr/local/bin/${image.name}`);
      if (image.name === 'kube-proxy') await kubeProxyTools(step, sources.rootfs, root);
      return { ref: image.ref, root, env: [path_], entrypoint: [`/usr/local/bin/${image.name}`] };
    case 'coredns':
      await put(sources.binary('coredns'), 'coredns');
      return { ref: image.ref, root, env: [path_], entrypoint: ['/coredns'] };
    case 'pause':
      await put(sources.pause, 'pause');
      return { ref: image.ref, root, env: [path_], entrypoint: ['/pause'] };
    default:
      return undefined;
  }
}
