import { UsageError } from '../errors.js';
import type { Artifact, ArtifactGroup } from './types.js';
import { kubernetesBinaries } from './types.js';

export const defaultKubernetesVersion = 'v1.33.13';
export const defaultKwokVersion = 'v0.7.0';

/**
 * The etcd that each Kubernetes minor is released and tested with. Taken from
 * the go.etcd.io/etcd/client/v3 requirement of k8s.io/kubernetes' go.mod for
 * that minor; etcd older than 3.5.13 lacks watch progress requests (WatchList).
 */
const etcdForMinor: Record<number, string> = {
  31: 'v3.5.14',
  32: 'v3.5.16',
  33: 'v3.5.21',
  34: 'v3.6.4',
  35: 'v3.6.5',
};

export interface ParsedKubernetesVersion {
  text: string;
  major: number;
  minor: number;
  patch: number;
}

export function parseKubernetesVersion(text: string): ParsedKubernetesVersion {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`invalid Kubernetes version "${text}": expected vMAJOR.MINOR.PATCH, for example ${defaultKubernetesVersion}`);
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { text: `v${major}.${minor}.${patch}`, major, minor, patch };
}

export function defaultEtcdVersion(kubernetesVersion: string): string {
  const { minor } = parseKubernetesVersion(kubernetesVersion);
  const version = etcdForMinor[minor];
  if (!version) throw new UsageError(`no etcd version known for Kubernetes 1.${minor}; set one with --etcd-version`);
  return version;
}

export interface VersionSet {
  kubernetes: string;
  etcd: string;
  kwok: string;
}

export function versionSet(kubernetesVersion = defaultKubernetesVersion, overrides: Partial<VersionSet> = {}): VersionSet {
  const kubernetes = parseKubernetesVersion(kubernetesVersion).text;
  return {
    kubernetes,
    etcd: overrides.etcd ?? defaultEtcdVersion(kubernetes),
    kwok: overrides.kwok ?? defaultKwokVersion,
  };
}

export function artifactFor(group: ArtifactGroup, versions: VersionSet): Artifact {
  switch (group) {
    case 'kubernetes':
      return { group, version: versions.kubernetes, binaries: kubernetesBinaries };
    case 'etcd':
      return { group, version: versions.etcd, binaries: ['etcd'] };
    case 'kwok':
      return { group, version: versions.kwok, binaries: ['kwok'] };
  }
}
