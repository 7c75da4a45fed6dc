import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { execa } from 'execa';
import { resolveKind } from '../binaries/kind-binary.js';
import { stateDir } from '../paths.js';
import { AbortedError, InfrastructureError } from '../errors.js';
import { kubeconfigIdentity } from '../load/client.js';
import { dockerCgroupVersion, requireDocker } from '../util/docker.js';
import { parseKubernetesVersion } from '../binaries/versions.js';
import { openCgroup } from './cgroup/detect.js';
import { loadIdentityKubeconfig } from './kind-identity.js';
import { kindConfig, staticPodPatches, staticPods } from './kind-config.js';
import { StaticPodOomWatch } from './kind-oom.js';
import { waitClusterReady } from './kind-ready.js';
import { freePort } from './ports.js';
import { apiserverReady, processStatus } from './shared.js';
import { currentOwner, ownerAlive, type Owner } from './process.js';
import type { ProviderPlugin } from '../core/plugin.js';
import type { ClusterConfig } from '../experiment/schema.js';
import type {
  ApiserverAccess,
  Cluster,
  ClusterEvent,
  ClusterProvider,
  ClusterSpec,
  ComponentName,
  ComponentStatus,
  HostProcesses,
  MetricsTarget,
  UpOptions,
  NodeImage,
  MemoryCgroup,
  KeyPairPem,
} from '../core/cluster.js';

/** Clusters this tool creates are named so `cpchaos down --all` can find what a killed run left. */
export const kindClusterPrefix = 'cpchaos-';

export interface KindOptions {
  controlPlanes: 1 | 3;
  nodeImage?: string;
}

/** Host PIDs of the control-plane processes inside a node container: Docker runs them as ordinary host processes. */
async function componentPids(container: string): Promise<Map<ComponentName, number>> {
  const result = await execa('docker', ['top', container, '-eo', 'pid,comm'], { reject: false });
  const names: Record<string, ComponentName> = {
    etcd: 'etcd',
    'kube-apiserver': 'apiserver',
    'kube-controller': 'controller-manager',
    'kube-scheduler': 'scheduler',
  };
  const pids = new Map<ComponentName, number>();
  for (const line of String(result.stdout).split('\n').slice(1)) {
    const [pid, comm] = line.trim().split(/\s+/);
    const component = comm ? names[comm] : undefined;
    if (component && pid && !pids.has(component)) pids.set(component, Number(pid));
  }
  return pids;
}

/** The memory cgroup a host process is in, read from /proc: the static pod's cgroup inside the node. */
async function cgroupOfPid(pid: number): Promise<MemoryCgroup | undefined> {
  const text = await fs.readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const v1 = /^\d+:[^:]*\bmemory\b[^:]*:(.*)$/m.exec(text);
  if (v1) return openCgroup(1, path.join('/sys/fs/cgroup/memory', v1[1]!));
  const v2 = /^0::(.*)$/m.exec(text);
  return v2 ? openCgroup(2, path.join('/sys/fs/cgroup', v2[1]!)) : undefined;
}

class KindCluster implements Cluster, HostProcesses {
  readonly provider = 'kind';
  readonly host: HostProcesses = this;
  readonly binaries = [];
  readonly events = new EventEmitter();
  private pids = new Map<ComponentName, number>();
  private readonly lastPids = new Map<ComponentName, number>();
  private cgroupMap = new Map<ComponentName, MemoryCgroup>();
  private readonly ooms: StaticPodOomWatch;
  private oomCounts = new Map<ComponentName, number>();
  private readonly restartsSeen = new Map<ComponentName, number>();
  private watcher?: NodeJS.Timeout;
  private polling = false;
  networkServer?: string;

  constructor(
    readonly name: string,
    private readonly kind: string,
    private readonly dir: string,
    readonly kubeconfigPath: string,
    readonly loadKubeconfigPath: string,
    readonly access: ApiserverAccess,
    private readonly etcdMetricsUrl: string,
    private readonly node: string,
    readonly nodeImage: NodeImage,
  ) {
    this.ooms = new StaticPodOomWatch(access);
  }

  get logsDir(): string {
    return path.join(this.dir, 'logs');
  }

  /** kubeadm's cluster CA, read from the control-plane node (kind's kube-controller-manager signs with the same). */
  async clientCa(): Promise<KeyPairPem> {
    const read = async (file: string) => (await execa('docker', ['exec', this.node, 'cat', `/etc/kubernetes/pki/${file}`])).stdout + '\n';
    return { certPem: await read('ca.crt'), keyPem: await read('ca.key') };
  }

  /** PIDs change when the kubelet restarts a static pod: looked up again on every poll. */
  async refresh(): Promise<void> {
    const pids = await componentPids(this.node);
    for (const [component, pid] of pids) {
      // Between the kill and the kubelet's restart the component has no pid at all.
      const previous = this.lastPids.get(component);
      if (previous === pid) continue;
      this.lastPids.set(component, pid);
      const cgroup = await cgroupOfPid(pid);
      if (!cgroup) continue;
      this.cgroupMap.set(component, cgroup);
      if (previous === undefined) continue;
      const at = new Date().toISOString();
      this.restartsSeen.set(component, (this.restartsSeen.get(component) ?? 0) + 1);
      this.events.emit('event', { type: 'restarting', component, at, backoffMs: 0 } satisfies ClusterEvent);
      this.events.emit('event', { type: 'started', component, at, pid } satisfies ClusterEvent);
    }
    this.pids = pids;
  }

  processes(): { component: ComponentName; pid: number }[] {
    return [...this.pids].map(([component, pid]) => ({ component, pid }));
  }

  cgroups(): { component: ComponentName; cgroup: MemoryCgroup }[] {
    return [...this.cgroupMap].map(([component, cgroup]) => ({ component, cgroup }));
  }

  metricsTargets(): MetricsTarget[] {
    return [
      { component: 'apiserver', url: `${this.access.server}/metrics`, access: this.access },
      { component: 'etcd', url: this.etcdMetricsUrl },
    ];
  }

  async status(): Promise<ComponentStatus[]> {
    await this.refresh();
    return Promise.all([...this.pids].map(([name, pid]) => processStatus(name, pid, true, this.cgroupMap.get(name))));
  }

  async ready(): Promise<boolean> {
    return apiserverReady(this.access);
  }

  watch(intervalMs = 1000): void {
    if (this.watcher) return;
    this.watcher = setInterval(() => void this.poll(), intervalMs);
    this.watcher.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.refresh().catch(() => undefined);
      await this.pollOomKills();
    } finally {
      this.polling = false;
    }
  }

  private async pollOomKills(): Promise<void> {
    for (const kill of await this.ooms.poll()) {
      const count = (this.oomCounts.get(kill.component) ?? 0) + 1;
      this.oomCounts.set(kill.component, count);
      this.events.emit('event', { type: 'oom-kill', component: kill.component, at: kill.at, count } satisfies ClusterEvent);
    }
  }

  /**
   * The kubelet reports a restart (and whether it was an OOM kill) some seconds after
   * it happened: before teardown, wait up to 30 s until it has reported every restart
   * of the first node's static pods that the process table showed.
   */
  async settle(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      await this.pollOomKills();
      const behind = [...this.restartsSeen].filter(([component, seen]) => (this.ooms.restarts.get(`${staticPods[component]}-${this.node}`) ?? 0) < seen);
      if (behind.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  /** `kind export logs` into logsDir; the runner copies that folder into the run's results before down(). */
  async exportLogs(): Promise<void> {
    await fs.mkdir(this.logsDir, { recursive: true });
    await execa(this.kind, ['export', 'logs', this.logsDir, '--name', this.name], { reject: false, timeout: 120_000 });
  }

  async down(): Promise<void> {
    if (this.watcher) clearInterval(this.watcher);
    await deleteKindCluster(this.kind, this.name);
  }
}

/** Each cluster gets a Docker network of its own (removed with it), so runs never share one. */
function networkOf(name: string): string {
  return name;
}

export async function deleteKindCluster(kind: string, name: string): Promise<void> {
  const result = await execa(kind, ['delete', 'cluster', '--name', name], { reject: false, timeout: 300_000 });
  await execa('docker', ['network', 'rm', networkOf(name)], { reject: false });
  // The folder holds the admin kubeconfig with its client key: it never outlives the cluster, even when kind fails.
  await fs.rm(kindStateDir(name), { recursive: true, force: true });
  if (result.exitCode !== 0) throw new InfrastructureError(`kind delete cluster --name ${name}: ${String(result.stderr).split('\n').slice(-1)[0]}`);
}

function kindStateDir(name: string): string {
  return path.join(stateDir(), 'kind', name);
}

/** Who created a cluster: `down --all` reaps only clusters whose runner is gone. */
const ownerFile = 'owner.json';

/**
 * The kind clusters of this state dir whose runner is gone (for `down --all`; with
 * force, all of them). A cluster whose runner still runs belongs to that run, and one
 * created under another state dir to someone else: neither is touched.
 */
export async function leftoverKindClusters(options: { force?: boolean } = {}): Promise<{ kind: string; names: string[] } | undefined> {
  const kind = await resolveKind(undefined, { build: false }).catch(() => undefined);
  if (!kind) return undefined;
  const names: string[] = [];
  for (const name of await fs.readdir(path.join(stateDir(), 'kind')).catch(() => [])) {
    const owner = await fs.readFile(path.join(kindStateDir(name), ownerFile), 'utf8').then(
      (t) => JSON.parse(t) as Owner,
      () => undefined,
    );
    if (options.force || !ownerAlive(owner)) names.push(name);
  }
  return { kind, names };
}

/** Kubernetes >= 1.35's kubelet refuses cgroup v1 unless told not to (kind-config.ts tells it): say so, since that support is going away. */
async function warnOfCgroupV1(kubernetesVersion: string, onProgress: UpOptions['onProgress']): Promise<void> {
  if (parseKubernetesVersion(kubernetesVersion).minor < 35 || (await dockerCgroupVersion()) !== '1') return;
  onProgress?.(
    `warning: this Docker host uses cgroup v1, which Kubernetes ${kubernetesVersion} deprecates; its kubelets run with failCgroupV1: false (move the host to cgroup v2 before that goes)`,
  );
}

/** A kind cluster in Docker, the way most field reports ran their experiments. */
export class KindProvider implements ClusterProvider {
  readonly name = 'kind';

  constructor(private readonly options: KindOptions) {}

  async up(spec: ClusterSpec, options: UpOptions = {}): Promise<Cluster> {
    await requireDocker();
    await warnOfCgroupV1(spec.kubernetesVersion, options.onProgress);
    const kind = await resolveKind(options.onProgress);
    const { obtainNodeImage } = await import('../binaries/kind-image/obtain.js');
    const nodeImage = await obtainNodeImage({
      kubernetesVersion: spec.kubernetesVersion,
      given: this.options.nodeImage,
      controlPlanes: this.options.controlPlanes,
      quiet: options.quiet,
      signal: options.signal,
    });
    const name = `${kindClusterPrefix}${spec.name ?? randomBytes(3).toString('hex')}`;
    const dir = kindStateDir(name);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(dir, ownerFile), JSON.stringify({ ...currentOwner(), createdAt: new Date().toISOString() }));
    try {
      return await this.create(kind, name, dir, nodeImage, spec, options);
    } catch (error) {
      // Whatever kind made before the failure or the Ctrl-C goes too, and the folder with the admin key.
      await deleteKindCluster(kind, name).catch(() => undefined);
      throw error;
    }
  }

  private async create(kind: string, name: string, dir: string, nodeImage: NodeImage, spec: ClusterSpec, options: UpOptions): Promise<Cluster> {
    const etcdPort = await freePort();
    const patchesDir = path.join(dir, 'patches');
    const patches = staticPodPatches(spec.memoryLimits);
    await fs.mkdir(patchesDir, { recursive: true });
    for (const [file, text] of Object.entries(patches)) await fs.writeFile(path.join(patchesDir, file), text);
    const configFile = path.join(dir, 'kind.yaml');
    await fs.writeFile(
      configFile,
      await kindConfig({
        name,
        controlPlanes: this.options.controlPlanes,
        kubernetesVersion: spec.kubernetesVersion,
        apiserverArgs: spec.apiserverArgs,
        featureGates: spec.featureGates,
        etcdMetricsHostPort: etcdPort,
        ...(Object.keys(patches).length ? { patchesDir } : {}),
      }),
    );
    const kubeconfig = path.join(dir, 'kubeconfig');
    options.onProgress?.(
      `kind create cluster --name ${name} (${nodeImage.image}, ${this.options.controlPlanes} control plane${this.options.controlPlanes > 1 ? 's' : ''})`,
    );
    const created = await execa(kind, ['create', 'cluster', '--name', name, '--config', configFile, '--image', nodeImage.image, '--kubeconfig', kubeconfig], {
      reject: false,
      cancelSignal: options.signal,
      all: true,
      env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: networkOf(name) },
    });
    if (options.signal?.aborted) throw new AbortedError();
    if (created.exitCode !== 0)
      throw new InfrastructureError(`kind create cluster failed: ${String(created.all).split('\n').filter(Boolean).slice(-2).join(' ')}`);
    const { server, tls } = await kubeconfigIdentity(kubeconfig);
    const pem = (v: unknown) => (v === undefined ? undefined : String(v));
    const access: ApiserverAccess = { server, caPem: pem(tls.ca), certPem: pem(tls.cert), keyPem: pem(tls.key) };
    options.onProgress?.('waiting for every node and control-plane pod to be ready');
    await waitClusterReady(access, this.options.controlPlanes, 180_000, options.signal);
    const loadKubeconfig = path.join(dir, 'load.kubeconfig');
    await loadIdentityKubeconfig(kubeconfig, loadKubeconfig, access);
    const cluster = new KindCluster(
      name,
      kind,
      dir,
      kubeconfig,
      loadKubeconfig,
      access,
      `http://127.0.0.1:${etcdPort}/metrics`,
      `${name}-control-plane`,
      nodeImage,
    );
    cluster.networkServer = await networkServer(name, this.options.controlPlanes > 1 ? `${name}-external-load-balancer` : `${name}-control-plane`);
    await cluster.refresh();
    return cluster;
  }
}

/** The apiserver's address on the cluster's Docker network: what the pods of a load cluster on that network dial. */
async function networkServer(network: string, container: string): Promise<string | undefined> {
  const inspected = await execa('docker', ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container], { reject: false });
  const ip = String(inspected.stdout).trim();
  return inspected.exitCode === 0 && ip ? `https://${ip.includes(':') ? `[${ip}]` : ip}:6443` : undefined;
}

const kindKeys = {
  controlPlanes: Type.Optional(
    Type.Union([Type.Literal(1), Type.Literal(3)], { description: "kind: one control-plane node, or three behind kind's load balancer (default 1)" }),
  ),
  nodeImage: Type.Optional(
    Type.String({
      description:
        'kind: the node image (default kindest/node:<kubernetesVersion> when here or pullable, else cpchaos/kind-node:<kubernetesVersion> built offline and cached)',
    }),
  ),
};

export const kindProvider: ProviderPlugin<ClusterConfig & Static<TObject<typeof kindKeys>>> = {
  name: 'kind',
  description: 'a kind cluster in Docker, one or three control-plane nodes, whose kubelet restarts what dies',
  schema: kindKeys,
  settings: ['kubernetesVersion', 'memoryLimits', 'apiserverArgs', 'featureGates'],
  capabilities: ['processes', 'node-containers'],
  create: (cluster) => new KindProvider({ controlPlanes: cluster.controlPlanes ?? 1, nodeImage: cluster.nodeImage }),
};
