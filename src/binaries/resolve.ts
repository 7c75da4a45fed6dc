import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { AbortedError, InfrastructureError, messageOf } from '../errors.js';
import { startProgress } from '../ui/progress.js';
import { artifactDir, installArtifact, readCachedArtifact } from './cache.js';
import { downloadArtifact } from './download.js';
import { envVarFor, explicitBinary } from './explicit.js';
import { goAvailable, goBuildArtifact } from './gobuild.js';
import { withLock } from './lock.js';
import { artifactFor, type VersionSet } from './versions.js';
import { groupOf, type Artifact, type BinaryName, type CacheManifest, type ResolvedBinary, type SourceKind } from './types.js';

export interface ResolveOptions {
  versions: VersionSet;
  names: readonly BinaryName[];
  binDir?: string;
  /** Off with CPCHAOS_NO_DOWNLOAD=1: skips the release downloads on machines known to have no route. */
  allowDownload?: boolean;
  allowBuild?: boolean;
  quiet?: boolean;
  /** Ctrl-C: stops a running download or build, leaving nothing half-cached. */
  signal?: AbortSignal;
}

export type ResolvedBinaries = Partial<Record<BinaryName, ResolvedBinary>>;

interface Obtained {
  dir: string;
  source: SourceKind;
  manifest: CacheManifest;
}

async function reportedVersion(file: string): Promise<string> {
  try {
    const { stdout, stderr } = await execa(file, ['--version'], { timeout: 20_000, reject: false });
    return (
      (stdout || stderr)
        .split('\n')
        .find((line) => line.trim())
        ?.trim() ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

async function obtainArtifact(artifact: Artifact, options: ResolveOptions): Promise<Obtained> {
  const cached = await readCachedArtifact(artifact);
  if (cached) return { dir: artifactDir(artifact), source: 'cache', manifest: cached };

  const label = `${artifact.group} ${artifact.version}`;
  return withLock(
    artifactDir(artifact),
    async () => {
      // Another run may have finished the same work while we waited for the lock.
      const afterWait = await readCachedArtifact(artifact);
      if (afterWait) return { dir: artifactDir(artifact), source: 'cache', manifest: afterWait };

      const failures: string[] = [];
      const staging = await fs.mkdtemp(path.join(os.tmpdir(), `cpchaos-${artifact.group}-`));
      try {
        const attempt = async (
          source: 'download' | 'go-build',
          label: string,
          done: string,
          fetchInto: (onProgress: (text: string) => void) => Promise<void>,
        ) => {
          const progress = startProgress(label, { quiet: options.quiet });
          try {
            await fetchInto((text) => progress.update(text));
            await installArtifact(artifact, staging, source);
            progress.done(done);
            return { dir: artifactDir(artifact), source, manifest: (await readCachedArtifact(artifact))! };
          } catch (error) {
            progress.done(`not possible: ${firstLine(error)}`);
            if (options.signal?.aborted) throw new AbortedError();
            failures.push(`${source}: ${source === 'download' ? firstLine(error) : messageOf(error)}`);
            return undefined;
          }
        };
        if (options.allowDownload ?? process.env.CPCHAOS_NO_DOWNLOAD !== '1') {
          const downloaded = await attempt('download', `download ${label}`, 'verified and cached', (onProgress) =>
            downloadArtifact(artifact, staging, onProgress, options.signal),
          );
          if (downloaded) return downloaded;
        } else {
          failures.push('download: disabled (CPCHAOS_NO_DOWNLOAD=1)');
        }
        if ((options.allowBuild ?? true) && (await goAvailable())) {
          const built = await attempt('go-build', `go build ${label} (cold builds take minutes)`, 'built and cached', (onProgress) =>
            goBuildArtifact(artifact, staging, onProgress, options.signal),
          );
          if (built) return built;
        } else {
          failures.push('go build: `go` is not on PATH');
        }
      } finally {
        await fs.rm(staging, { recursive: true, force: true });
      }
      throw new InfrastructureError(
        `cannot obtain ${artifact.binaries.join(', ')} ${artifact.version}. Tried: ` +
          `an explicit path (--bin-dir, CPCHAOS_BIN_DIR or ${artifact.binaries.map(envVarFor).join(', ')}): none given; ` +
          `the cache (${artifactDir(artifact)}): empty; ${failures.join('; ')}`,
      );
    },
    () => process.stderr.write(`waiting for another cpchaos process that is fetching ${label}\n`),
  );
}

function firstLine(error: unknown): string {
  const cause = error instanceof Error && error.cause ? `: ${messageOf(error.cause)}` : '';
  return `${messageOf(error).split('\n')[0]}${cause}`;
}

/** Finds every requested binary: explicit path, then cache, then release download, then a Go build. */
export async function resolveBinaries(options: ResolveOptions): Promise<ResolvedBinaries> {
  const resolved: ResolvedBinaries = {};
  const missingByGroup = new Map<Artifact['group'], BinaryName[]>();
  for (const name of options.names) {
    const explicit = await explicitBinary(name, { binDir: options.binDir });
    if (explicit) {
      resolved[name] = { name, path: explicit, source: 'explicit', reportedVersion: await reportedVersion(explicit) };
    } else {
      const group = groupOf(name);
      missingByGroup.set(group, [...(missingByGroup.get(group) ?? []), name]);
    }
  }
  for (const [group, names] of missingByGroup) {
    const obtained = await obtainArtifact(artifactFor(group, options.versions), options);
    for (const name of names) {
      const file = path.join(obtained.dir, name);
      resolved[name] = {
        name,
        path: file,
        source: obtained.source,
        ...(obtained.source === 'cache' ? { cachedFrom: obtained.manifest.source } : {}),
        reportedVersion: await reportedVersion(file),
      };
    }
  }
  return resolved;
}
