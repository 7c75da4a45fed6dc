import { UsageError } from '../errors.js';
import type { Artifact, ArtifactGroup } from './types.js';
import { kubernetesBinaries, kubernetesNodeBinaries } from './types.js';

/**
 * The newest patch of the newest minor that the Go module proxy serves; docs/binaries.md
 * ("Keeping the versions current") says how to move it and the etcd table together.
 */
export const defaultKubernetesVersion = 'v1.37.2';
/** The oldest minor we build, run and test (CI builds it beside the default). */
export const oldestKubernetesVersion = 'v1.31.14';
export const defaultKwokVersion = 'v0.7.0';
/** The kind whose node-image layout the offline image builder follows, and that the kind provider runs. */
export const kindVersion = 'v0.33.0';

/**
 * The etcd that each Kubernetes minor is released and tested with. Taken from
 * the go.etcd.io/etcd/client/v3 requirement of k8s.io/kubernetes' go.mod for
 * that minor; etcd older than 3.5.13 lacks watch progress requests (WatchList).
 */
export const etcdForMinor: Record<number, string> = {
  31: 'v3.5.14',
  32: 'v3.5.16',
  33: 'v3.5.21',
  34: 'v3.6.4',
  35: 'v3.6.5',
  36: 'v3.6.8',
  37: 'v3.7.0',
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
  if (!version) {
    const known = Object.keys(etcdForMinor).map(Number);
    throw new UsageError(
      `no etcd version known for Kubernetes 1.${minor} (supported: 1.${Math.min(...known)} to 1.${Math.max(...known)}); set one with --etcd-version`,
    );
  }
  return version;
}

export interface VersionSet {
  kubernetes: string;
  etcd: string;
  kwok: string;
  /** Only the kind node image needs CoreDNS: the version kubeadm names for the Kubernetes release. */
  coredns?: string;
}

export function versionSet(kubernetesVersion = defaultKubernetesVersion, overrides: Partial<VersionSet> = {}): VersionSet {
  const kubernetes = parseKubernetesVersion(kubernetesVersion).text;
  return {
    kubernetes,
    etcd: overrides.etcd ?? defaultEtcdVersion(kubernetes),
    kwok: overrides.kwok ?? defaultKwokVersion,
    ...(overrides.coredns ? { coredns: overrides.coredns } : {}),
  };
}

export function artifactFor(group: ArtifactGroup, versions: VersionSet): Artifact {
  switch (group) {
    case 'kubernetes':
      return { group, version: versions.kubernetes, binaries: kubernetesBinaries };
    case 'etcd':
      return { group, version: versions.etcd, binaries: ['etcd'] };
    case 'kubernetes-node':
      return { group, version: versions.kubernetes, binaries: kubernetesNodeBinaries };
    case 'kwok':
      return { group, version: versions.kwok, binaries: ['kwok'] };
    case 'coredns':
      if (!versions.coredns) throw new UsageError('no CoreDNS version given');
      return { group, version: versions.coredns, binaries: ['coredns'] };
  }
}
