import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { sleep } from '../../util/wait.js';
import { run, type Step } from './step.js';

const importConfig = `version = 2
root = "/var/lib/containerd"
state = "/run/cpchaos-import"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/cpchaos-import/containerd.sock"
`;

/**
 * Puts image archives into the content store of a node root file system, as `kind
 * build node-image` does inside its build container: the node's own containerd
 * (run here in a chroot, so its store format is the node's) imports them pinned and
 * unpacked later, on first use. No container, mount or registry is needed.
 */
export async function importImages(step: Step, rootfs: string, archives: string[]): Promise<void> {
  const inbox = path.join(rootfs, 'tmp', 'cpchaos-images');
  await fs.mkdir(inbox, { recursive: true });
  await fs.writeFile(path.join(rootfs, 'tmp', 'cpchaos-import.toml'), importConfig);
  const daemon = execa('chroot', [rootfs, '/usr/bin/containerd', '--config', '/tmp/cpchaos-import.toml'], {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
    cancelSignal: step.signal,
  });
  try {
    const socket = path.join(rootfs, 'run', 'cpchaos-import', 'containerd.sock');
    for (
      let i = 0;
      i < 100 &&
      !(await fs.access(socket).then(
        () => true,
        () => false,
      ));
      i++
    )
      await sleep(100);
    const ctr = ['ctr', '--address', '/run/cpchaos-import/containerd.sock', '--namespace', 'k8s.io'];
    for (const archive of archives) {
      const inside = path.join(inbox, path.basename(archive));
      await fs.rename(archive, inside);
      step.progress(`importing ${path.basename(archive, '.tar')} into the node's containerd`);
      await run(step, 'chroot', [
        rootfs,
        ...ctr,
        'images',
        'import',
        '--label=io.cri-containerd.pinned=pinned',
        '--all-platforms',
        '--no-unpack',
        '--digests',
        `/tmp/cpchaos-images/${path.basename(archive)}`,
      ]);
    }
    await run(step, 'chroot', [rootfs, ...ctr, 'images', 'list', '-q']);
  } finally {
    daemon.kill('SIGTERM');
    await daemon;
    await fs.rm(inbox, { recursive: true, force: true });
    await fs.rm(path.join(rootfs, 'tmp', 'cpchaos-import.toml'), { force: true });
    await fs.rm(path.join(rootfs, 'run', 'cpchaos-import'), { recursive: true, force: true });
  }
}
