import fs from 'node:fs/promises';
import path from 'node:path';
import { run, type Step } from './step.js';

/** The shared libraries `ldd` names for `files` (paths inside `rootfs`), resolved in a chroot. */
async function libraries(step: Step, rootfs: string, files: string[]): Promise<string[]> {
  const out = await run(step, 'chroot', [rootfs, 'ldd', ...files]).catch(() => '');
  const found = new Set<string>();
  for (const match of out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) found.add(match[1]!);
  return [...found];
}

/**
 * Copies programs (and every library they load) from the base root file system into
 * an image root, each as a real file at the path the loader looks for it: small
 * images of Debian's own tools (iptables for kube-proxy, a shell for kind's load
 * balancer) without a package manager in them. `placeAt` puts a file elsewhere in the image
 * than where it is in `rootfs` (a program kept in a cache, installed at /usr/local/bin).
 */
export async function copyWithLibraries(step: Step, rootfs: string, files: string[], imageRoot: string, placeAt: Record<string, string> = {}): Promise<void> {
  const all = [...new Set([...files, ...(await libraries(step, rootfs, files))])];
  for (const file of all) {
    const target = path.join(imageRoot, placeAt[file] ?? file);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.copyFile(path.join(rootfs, await realPathIn(rootfs, file)), target);
    await fs.chmod(target, (await fs.stat(path.join(rootfs, await realPathIn(rootfs, file)))).mode & 0o7777);
  }
}

/** `file` with every symlink resolved as it would be inside `rootfs` (absolute links point into it). */
async function realPathIn(rootfs: string, file: string): Promise<string> {
  let current = '/';
  const parts = file.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const next = path.posix.join(current, parts[i]!);
    const link = await fs.readlink(path.join(rootfs, next)).catch(() => undefined);
    if (link === undefined) {
      current = next;
      continue;
    }
    const resolved = link.startsWith('/') ? link : path.posix.join(current, link);
    return realPathIn(rootfs, path.posix.join(resolved, ...parts.slice(i + 1)));
  }
  return current;
}

/** Every file in a folder of the base (the xtables extensions kube-proxy's iptables loads). */
export async function filesIn(rootfs: string, dir: string): Promise<string[]> {
  const real = await realPathIn(rootfs, dir);
  return (await fs.readdir(path.join(rootfs, real))).map((name) => path.posix.join(dir, name));
}
