export const kubernetesBinaries = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
/** What the local provider runs: obtained by `cpchaos binaries` and `npm test`. */
export const allBinaries = [...kubernetesBinaries, 'etcd', 'kwok'] as const;
/** What a kind node image carries besides the control plane (built only for the kind image). */
export const kubernetesNodeBinaries = ['kubelet', 'kubeadm', 'kubectl', 'kube-proxy'] as const;

export type KubernetesBinary = (typeof kubernetesBinaries)[number];
export type BinaryName = (typeof allBinaries)[number] | (typeof kubernetesNodeBinaries)[number] | 'coredns';

/** The binaries that are built or downloaded together and share one cache folder. */
export type ArtifactGroup = 'kubernetes' | 'kubernetes-node' | 'etcd' | 'kwok' | 'coredns';

export interface Artifact {
  group: ArtifactGroup;
  /** The version we fetch, e.g. v1.33.13, v3.5.21, v0.7.0. */
  version: string;
  binaries: readonly BinaryName[];
}

export type SourceKind = 'explicit' | 'cache' | 'download' | 'go-build';

export interface ResolvedBinary {
  name: BinaryName;
  path: string;
  source: SourceKind;
  /** For a cached binary: how it got into the cache. */
  cachedFrom?: SourceKind;
  /** First line of `<binary> --version`, so reports say what really ran. */
  reportedVersion: string;
}

/** How an artifact got into the cache; kept beside it so later runs can say where it came from. */
export interface CacheManifest {
  group: ArtifactGroup;
  version: string;
  source: Exclude<SourceKind, 'explicit' | 'cache'>;
  createdAt: string;
  sha256: Partial<Record<BinaryName, string>>;
}

export function groupOf(name: BinaryName): ArtifactGroup {
  if (name === 'etcd' || name === 'kwok' || name === 'coredns') return name;
  if ((kubernetesNodeBinaries as readonly string[]).includes(name)) return 'kubernetes-node';
  return 'kubernetes';
}
