import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../../paths.js';
import { goEnvironment } from '../gobuild.js';
import { withLock } from '../lock.js';
import { kindVersion } from '../versions.js';
import { nodeNetworkScript, nodeNetworkUnit } from './node-network.js';
import { run, type Step } from './step.js';

/**
 * The base of a kind node image, made without a registry: a Debian root file system
 * from debootstrap with the packages kind's base image installs (containerd and runc
 * from Debian instead of kind's own builds), and kind's own base-image files taken
 * from the sigs.k8s.io/kind module source. Cached once per recipe; every node image
 * (one per Kubernetes version) starts from a copy of it.
 */

export const debianSuite = 'bookworm';

const packages = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'containerd',
  'runc',
  'containernetworking-plugins',
  'iptables',
  'nftables',
  'conntrack',
  'iproute2',
  'ethtool',
  'util-linux',
  'mount',
  'kmod',
  'libseccomp2',
  'procps',
  'ca-certificates',
  'socat',
  'ebtables',
  'e2fsprogs',
  'libc-bin',
  // kind's createContainer hook (mount-product-files.sh) reads its bundle with jq.
  'jq',
];

/** Changes with anything that changes the base's content, so an old cache is never taken for a new recipe. */
const recipe = createHash('sha256')
  .update(JSON.stringify({ packages, debianSuite, kindVersion, nodeNetworkScript, nodeNetworkUnit, v: 1 }))
  .digest('hex')
  .slice(0, 12);

export function baseDir(): string {
  return path.join(cacheDir(), 'kind-image', `base-${debianSuite}-${recipe}`);
}

function debianMirror(): string {
  return process.env.CPCHAOS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
}

/** kind's images/base/files, from the Go module proxy (no clone, no release download). */
async function kindBaseFiles(step: Step): Promise<string> {
  const result = await run(step, 'go', ['mod', 'download', '-json', `sigs.k8s.io/kind@${kindVersion}`], {
    env: goEnvironment(),
    extendEnv: false,
    cwd: cacheDir(),
  });
  const dir = (JSON.parse(result.slice(result.indexOf('{'))) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download sigs.k8s.io/kind@${kindVersion} returned no folder`);
  return path.join(dir, 'images', 'base', 'files');
}

async function copyKindFiles(step: Step, rootfs: string): Promise<void> {
  const files = await kindBaseFiles(step);
  await fs.cp(files, rootfs, { recursive: true, force: true });
  // The module cache's files are read-only; the image's modes follow kind's Dockerfile.
  await run(step, 'chmod', [
    '-R',
    'u+w,go-w,a+rX',
    path.join(rootfs, 'kind'),
    path.join(rootfs, 'etc', 'systemd', 'system'),
    path.join(rootfs, 'etc', 'containerd'),
  ]);
  await run(step, 'chmod', [
    '0755',
    ...['entrypoint', 'clean-install'].map((f) => path.join(rootfs, 'usr', 'local', 'bin', f)),
    path.join(rootfs, 'kind', 'bin'),
  ]);
  await run(step, 'sh', ['-c', `chmod 0755 "${rootfs}"/kind/bin/*`]);
}

/** What kind's base Dockerfile does after installing its packages, done in a chroot. */
async function configureSystemd(step: Step, rootfs: string): Promise<void> {
  const sh = (script: string) => run(step, 'chroot', [rootfs, '/bin/sh', '-ec', script]);
  await sh(`find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/*
rm -f /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
echo ReadKMsg=no >> /etc/systemd/journald.conf
mkdir -p /etc/kubernetes/manifests /opt/cni
rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*`);
  await fs.writeFile(path.join(rootfs, 'usr', 'local', 'bin', 'cpchaos-node-network'), nodeNetworkScript, { mode: 0o755 });
  await fs.writeFile(path.join(rootfs, 'etc', 'systemd', 'system', 'cpchaos-node-network.service'), nodeNetworkUnit);
  await sh(
    'systemctl enable kubelet.service containerd.service undo-mount-hacks.service cpchaos-node-network.service && systemctl mask systemd-binfmt.service',
  );
}

/** kind's units and config name kind's own builds; Debian puts the same programs elsewhere. */
async function configureContainerd(step: Step, rootfs: string): Promise<void> {
  await fs.symlink('/usr/bin/containerd', path.join(rootfs, 'usr', 'local', 'bin', 'containerd'));
  await fs.symlink('/usr/lib/cni', path.join(rootfs, 'opt', 'cni', 'bin'));
  // As kind's Dockerfile: the default OCI spec, with kind's product-uuid hook and without rlimits.
  const spec = JSON.parse(await run(step, 'chroot', [rootfs, 'ctr', 'oci', 'spec'])) as {
    hooks?: { createContainer?: { path: string }[] };
    process: { rlimits?: unknown };
  };
  spec.hooks = { ...spec.hooks, createContainer: [...(spec.hooks?.createContainer ?? []), { path: '/kind/bin/mount-product-files.sh' }] };
  delete spec.process.rlimits;
  await fs.writeFile(path.join(rootfs, 'etc', 'containerd', 'cri-base.json'), JSON.stringify(spec, null, 2));
}

async function buildBase(step: Step, dir: string): Promise<void> {
  const staging = path.join(dir, 'rootfs.tmp');
  await fs.rm(staging, { recursive: true, force: true });
  step.progress(`debootstrap ${debianSuite} (${packages.length} packages, about a minute)`);
  await run(step, 'debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, debianSuite, staging, debianMirror()]);
  await copyKindFiles(step, staging);
  await configureSystemd(step, staging);
  await configureContainerd(step, staging);
  await fs.rename(staging, path.join(dir, 'rootfs'));
  // Bases of older recipes are never used again.
  const parent = path.dirname(dir);
  for (const entry of await fs.readdir(parent)) {
    if (entry.startsWith('base-') && path.join(parent, entry) !== dir) await fs.rm(path.join(parent, entry), { recursive: true, force: true });
  }
}

/** The cached base root file system, built first if needed (locked against concurrent builds). */
export async function ensureBaseRootfs(step: Step): Promise<string> {
  const dir = baseDir();
  const rootfs = path.join(dir, 'rootfs');
  const complete = () =>
    fs.access(path.join(rootfs, 'usr', 'local', 'bin', 'entrypoint')).then(
      () => true,
      () => false,
    );
  if (await complete()) return rootfs;
  await requireTool('debootstrap', 'apt-get install debootstrap');
  return withLock(
    dir,
    async () => {
      if (!(await complete())) await buildBase(step, dir);
      return rootfs;
    },
    () => step.progress('waiting for another cpchaos process that is building the same base'),
  );
}

export async function requireTool(command: string, install: string): Promise<void> {
  const found = await execa('sh', ['-c', `command -v ${command}`], { reject: false });
  if (found.exitCode !== 0) throw new Error(`${command} is needed to build a kind node image offline: ${install}`);
}
