import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../paths.js';
import { withLock } from './lock.js';

/**
 * The Node.js line the agent image runs on: the current LTS. Its bundled OpenSSL 3.5 makes a
 * reconnect storm cost our agents 0.75x the CPU that Node 20's OpenSSL 3.0 does (bench/README.md).
 */
export const ltsNodeMajor = 24;

/** The npm package that carries a Node.js binary for this platform, as the registry names them. */
export function nodePackageName(platform: string = process.platform, arch: string = process.arch): string {
  // npm's node-darwin-* packages stopped at Node.js 18; node-linux-* follow every release.
  if (platform !== 'linux') throw new Error(`npm has no current Node.js binary package for ${platform}`);
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`npm has no Node.js binary package for ${platform} on ${arch}`);
  return `node-${platform}-${arch}`;
}

async function isExecutable(file: string): Promise<boolean> {
  return fs.access(file, fs.constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * A Node.js binary of one major release, from the npm registry (the one place besides the Go
 * proxy that a locked-down machine reaches), installed once into the cache and shared by
 * concurrent runs.
 */
export async function nodeRelease(major: number = ltsNodeMajor, progress: (text: string) => void = () => undefined): Promise<string> {
  const name = nodePackageName();
  const dir = path.join(cacheDir(), 'node', String(major));
  const binary = path.join(dir, 'node_modules', name, 'bin', 'node');
  if (await isExecutable(binary)) return binary;
  return withLock(dir, async () => {
    if (await isExecutable(binary)) return binary;
    progress(`installing Node.js ${major} (npm package ${name}@${major}) into ${dir}`);
    // --ignore-scripts: the package's install script would fetch again what its tarball holds.
    const flags = ['--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund'];
    const result = await execa('npm', ['install', ...flags, `${name}@${major}`], { reject: false, all: true });
    if (result.exitCode !== 0 || !(await isExecutable(binary)))
      throw new Error(`installing Node.js ${major} from npm failed: ${String(result.all).trim().split('\n').slice(-3).join(' ')}`);
    return binary;
  });
}
