import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { sha256File } from './cache.js';
import type { Artifact } from './types.js';

/**
 * The official release downloads, for users with internet. Every file is checked
 * against the sha256 its publisher lists next to it; an artifact without a
 * published checksum is not downloaded at all.
 */

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

interface DownloadPlan {
  /** file name in the staging folder -> URL, with the URL of its checksum. */
  files: { file: string; url: string; checksumUrl: string; checksumName?: string }[];
  /** Turns the downloaded files into the artifact's binaries in the staging folder. */
  unpack?: (stagingDir: string) => Promise<void>;
}

function plan(artifact: Artifact): DownloadPlan | undefined {
  const arch = goArch[process.arch];
  if (!arch || process.platform !== 'linux') return undefined;
  const v = artifact.version;
  switch (artifact.group) {
    case 'kubernetes':
    case 'kubernetes-node':
      return {
        files: artifact.binaries.map((name) => {
          const url = `https://dl.k8s.io/release/${v}/bin/linux/${arch}/${name}`;
          return { file: name, url, checksumUrl: `${url}.sha256` };
        }),
      };
    case 'etcd': {
      const tarball = `etcd-${v}-linux-${arch}.tar.gz`;
      const base = `https://github.com/etcd-io/etcd/releases/download/${v}`;
      return {
        files: [{ file: tarball, url: `${base}/${tarball}`, checksumUrl: `${base}/SHA256SUMS`, checksumName: tarball }],
        unpack: async (dir) => {
          await execa('tar', ['-xzf', path.join(dir, tarball), '-C', dir, '--strip-components=1', `etcd-${v}-linux-${arch}/etcd`]);
        },
      };
    }
    case 'kwok': {
      const base = `https://github.com/kubernetes-sigs/kwok/releases/download/${v}`;
      const file = `kwok-linux-${arch}`;
      return {
        files: [{ file, url: `${base}/${file}`, checksumUrl: `${base}/checksums.txt`, checksumName: file }],
        unpack: async (dir) => fs.rename(path.join(dir, file), path.join(dir, 'kwok')),
      };
    }
    case 'coredns':
      // Shipped as an image only; the Go build is its source here.
      return undefined;
  }
}

async function fetchOk(url: string, signal: AbortSignal): Promise<Response> {
  const response = await fetch(url, { signal, redirect: 'follow' });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response;
}

function expectedChecksum(text: string, name: string | undefined): string | undefined {
  for (const line of text.split('\n')) {
    const [sum, file] = line.trim().split(/\s+/);
    if (!sum || !/^[0-9a-f]{64}$/.test(sum)) continue;
    if (name === undefined || file?.replace(/^\*/, '') === name) return sum;
  }
  return undefined;
}

/** Downloads the artifact into `stagingDir`; throws with the reason when it cannot. */
export async function downloadArtifact(
  artifact: Artifact,
  stagingDir: string,
  onProgress: (text: string) => void,
  cancel?: AbortSignal,
  timeoutMs = 15 * 60_000,
): Promise<void> {
  const steps = plan(artifact);
  if (!steps) throw new Error(`no release download of ${artifact.group} for ${process.platform}/${process.arch}`);
  const signal = cancel ? AbortSignal.any([cancel, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  for (const { file, url, checksumUrl, checksumName } of steps.files) {
    onProgress(`downloading ${url}`);
    const checksums = await (await fetchOk(checksumUrl, signal)).text();
    const expected = expectedChecksum(checksums, checksumName);
    if (!expected) throw new Error(`${checksumUrl} lists no sha256 for ${checksumName ?? file}`);
    const body = Buffer.from(await (await fetchOk(url, signal)).arrayBuffer());
    const target = path.join(stagingDir, file);
    await fs.writeFile(target, body);
    const actual = await sha256File(target);
    if (actual !== expected) throw new Error(`checksum mismatch for ${url}: expected ${expected}, got ${actual}`);
  }
  await steps.unpack?.(stagingDir);
}
