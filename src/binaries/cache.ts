import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../paths.js';
import type { Artifact, CacheManifest } from './types.js';

const manifestFile = 'cpchaos-source.json';

export function artifactDir(artifact: Artifact): string {
  return path.join(cacheDir(), 'bin', `${artifact.group}-${artifact.version}`);
}

/** The cached artifact, if every one of its binaries is there and its manifest was written last. */
export async function readCachedArtifact(artifact: Artifact): Promise<CacheManifest | undefined> {
  const dir = artifactDir(artifact);
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, manifestFile), 'utf8')) as CacheManifest;
    for (const name of artifact.binaries) await fs.access(path.join(dir, name), fs.constants.X_OK);
    return manifest;
  } catch {
    return undefined;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Moves freshly obtained binaries from `stagingDir` into the cache. The manifest
 * is written after the binaries, so a half-copied artifact is never taken as cached.
 */
export async function installArtifact(artifact: Artifact, stagingDir: string, source: CacheManifest['source']): Promise<void> {
  const dir = artifactDir(artifact);
  await fs.mkdir(dir, { recursive: true });
  await fs.rm(path.join(dir, manifestFile), { force: true });
  const manifest: CacheManifest = { group: artifact.group, version: artifact.version, source, createdAt: new Date().toISOString(), sha256: {} };
  for (const name of artifact.binaries) {
    const target = path.join(dir, name);
    await fs.copyFile(path.join(stagingDir, name), `${target}.tmp`);
    await fs.chmod(`${target}.tmp`, 0o755);
    await fs.rename(`${target}.tmp`, target);
    manifest.sha256[name] = await sha256File(target);
  }
  await fs.writeFile(path.join(dir, manifestFile), `${JSON.stringify(manifest, null, 2)}\n`);
}
