import type { EventEmitter } from 'node:events';
import type { Authorization } from './authorization.js';

export const componentNames = ['etcd', 'apiserver', 'controller-manager', 'scheduler'] as const;
export type ComponentName = (typeof componentNames)[number];
/** Components a user may add; etcd and the apiserver always run. */
export const optionalComponents = ['controller-manager', 'scheduler'] as const satisfies readonly ComponentName[];

export interface ClusterSpec {
  name?: string;
  kubernetesVersion: string;
  etcdVersion?: string;
  components: ComponentName[];
  memoryLimits: Partial<Record<ComponentName, number>>;
  /** Extra kube-apiserver flags, without the leading dashes; they win over ours. */
  apiserverArgs: Record<string, string>;
  featureGates: Record<string, boolean>;
  /** Faster etcd for tests only: never for experiments that measure etcd. */
  etcdUnsafeNoFsync?: boolean;
  binDir?: string;
}

export type ClusterEvent =
  | { type: 'oom-kill'; component: ComponentName; at: string; count: number }
  | { type: 'exited'; component: ComponentName; at: string; code: number | null; signal: string | null }
  | { type: 'started'; component: ComponentName; at: string; pid: number }
  | { type: 'restarting'; component: ComponentName; at: string; backoffMs: number }
  /** The cluster cannot go on (its folder was removed under it, a restart failed): the run ends with exit 3. */
  | { type: 'lost'; component: ComponentName; at: string; reason: string };

/** TLS material to reach the apiserver; kept in memory, never written to results. */
export interface ApiserverAccess {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  /** Token or exec-plugin identities: the Authorization header to send, kept fresh. */
  credentials?: Authorization;
  insecure?: boolean;
}

export interface ComponentStatus {
  name: ComponentName;
  pid?: number;
  alive: boolean;
  cgroup?: string;
  memoryLimitBytes?: number;
  memoryUsageBytes?: number;
  oomKills: number;
}

export interface MetricsTarget {
  component: ComponentName;
  url: string;
  /** Client certificate for HTTPS endpoints; etcd's metrics port is plain HTTP on loopback. */
  access?: ApiserverAccess;
}

/** Control-plane processes on this machine: what process faults, cgroup limits and /proc samples act on. */
export interface HostProcesses {
  processes(): { component: ComponentName; pid: number }[];
  cgroups(): { component: ComponentName; cgroup: MemoryCgroup }[];
}

/** A program the cluster runs, as reports name it (binaries/ resolves them). */
export interface ClusterBinary {
  readonly name: string;
  readonly source: string;
  /** For a cached binary: how it got into the cache. */
  readonly cachedFrom?: string;
  /** First line of `<binary> --version`, so reports say what really ran. */
  readonly reportedVersion: string;
}

/** A certificate and its key, PEM: a cluster's CA the runner holds, or a certificate issued from it. */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

/** Which node image a kind cluster ran, and how it got here (recorded in summary.json). */
export interface NodeImage {
  image: string;
  source: 'given' | 'present' | 'pulled' | 'built' | 'built-earlier';
  id?: string;
  loadBalancer?: 'present' | 'pulled' | 'stand-in';
  /** Why the published image was not used. */
  note?: string;
}

/** One memory cgroup holding one control-plane component. */
export interface MemoryCgroup {
  readonly path: string;
  /** The file a process writes its pid to in order to join. */
  readonly procsFile: string;
  setLimit(bytes: number | undefined): Promise<void>;
  limit(): Promise<number | undefined>;
  usage(): Promise<number>;
  peak(): Promise<number | undefined>;
  /** How many processes the kernel OOM-killed in this cgroup so far. */
  oomKills(): Promise<number>;
  pids(): Promise<number[]>;
  /** SIGKILLs whatever is still inside, then removes the folder. */
  remove(): Promise<void>;
}

export interface Cluster {
  readonly name: string;
  readonly provider: string;
  /** Admin (system:masters): exempt from APF and max-inflight. For set-up and checks. */
  readonly kubeconfigPath: string;
  /**
   * The identity load runs as: cluster-admin through RBAC, but outside system:masters,
   * so API Priority and Fairness and max-inflight limit it as they limit real clients.
   */
  readonly loadKubeconfigPath: string;
  /** The kubeconfig context to use; undefined: its current context. */
  readonly kubeconfigContext?: string;
  /** The apiserver as other containers on its Docker network reach it (kind): where a load cluster's shards dial. */
  readonly networkServer?: string;
  /** The version the apiserver reports, when the provider did not choose it. */
  readonly serverVersion?: string;
  readonly access: ApiserverAccess;
  readonly binaries: ClusterBinary[];
  /** Emits 'event' with a ClusterEvent while the cluster is watched. */
  readonly events: EventEmitter;
  /** Folder of the components' logs; copied into a run's results before teardown. */
  readonly logsDir: string;
  status(): Promise<ComponentStatus[]>;
  metricsTargets(): MetricsTarget[];
  /** The control plane's processes and cgroups, when they run on this machine (the `processes` capability). */
  readonly host?: HostProcesses;
  /** GET /readyz answers 200. */
  ready(): Promise<boolean>;
  /** Start reporting OOM kills and restarts as events; absent where nothing can be seen (someone else's cluster). */
  watch?(intervalMs?: number): void;
  /** Restart a component that exits, the way a kubelet restarts a static pod; absent where a kubelet already does. */
  setRestartOnExit?(enabled: boolean): void;
  down(options?: { keep?: boolean }): Promise<void>;
  /** Waits until the cluster has reported what happened so far (a kubelet reports restarts late); called before teardown. */
  settle?(): Promise<void>;
  /** Gathers logs that only exist inside the cluster (kind's nodes) into logsDir; called before down(). */
  exportLogs?(): Promise<void>;
  /**
   * The CA the apiserver trusts for client certificates, with its key, where the runner holds it
   * (a local cluster's own): kubelet agents then connect with certificates of their own nodes.
   */
  clientCa?(): Promise<KeyPairPem>;
  /** kind: the node image the cluster ran and where it came from. */
  readonly nodeImage?: NodeImage;
}

export interface UpOptions {
  signal?: AbortSignal;
  quiet?: boolean;
  onProgress?: (message: string) => void;
}

export interface ClusterProvider {
  readonly name: string;
  up(spec: ClusterSpec, options?: UpOptions): Promise<Cluster>;
}
