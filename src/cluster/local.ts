import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveBinaries } from '../binaries/resolve.js';
import type { BinaryName, ResolvedBinary } from '../binaries/types.js';
import { versionSet } from '../binaries/versions.js';
import { AbortedError, InfrastructureError, UsageError, messageOf } from '../errors.js';
import { detectCgroupDriver, cgroupWritableHint } from './cgroup/detect.js';
import type { CgroupDriver } from './cgroup/types.js';
import { createClusterPki, writePki, type ClusterPki } from './certs.js';
import { get, postJson } from './https.js';
import { waitFor } from '../util/wait.js';
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
import { apiserverArgs, controllerManagerArgs, etcdArgs, schedulerArgs, type LocalLayout } from './local-flags.js';
import { freePorts } from './ports.js';
import { isAlive, logTail, startProcess, startTicks, type StartedProcess } from './process.js';
import type { ProviderPlugin } from '../core/plugin.js';
import { sharedClusterSettings } from '../experiment/schema.js';
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
  MemoryCgroup,
  KeyPairPem,
} from '../core/cluster.js';
import { clusterDir, loadState, saveState, type ClusterState } from './state.js';
import { apiserverReady, processStatus } from './shared.js';
import { teardownCluster } from './teardown.js';

const binaryOf: Record<ComponentName, BinaryName> = {
  etcd: 'etcd',
  apiserver: 'kube-apiserver',
  'controller-manager': 'kube-controller-manager',
  scheduler: 'kube-scheduler',
};

const namePattern = /^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/;

export function newClusterName(): string {
  return `cp-${randomBytes(3).toString('hex')}`;
}

interface LaunchSpec {
  binary: string;
  args: string[];
  logFile: string;
  cgroupProcsFile?: string;
}

/** kubelet's container restart backoff: 10 s, doubling, at most 5 min. */
const restartBackoff = { initialMs: 10_000, maxMs: 300_000 };

/** Folders, certificates and free ports of one local cluster. */
async function localLayout(dir: string, pkiFiles: LocalLayout['pki']): Promise<LocalLayout> {
  const [etcdClient, etcdPeer, etcdMetrics, apiserver, controllerManager, scheduler] = await freePorts(6);
  return {
    dataDir: path.join(dir, 'etcd-data'),
    pki: pkiFiles,
    ports: {
      etcdClient: etcdClient!,
      etcdPeer: etcdPeer!,
      etcdMetrics: etcdMetrics!,
      apiserver: apiserver!,
      controllerManager: controllerManager!,
      scheduler: scheduler!,
    },
    kubeconfigs: { controllerManager: path.join(dir, 'controller-manager.kubeconfig'), scheduler: path.join(dir, 'scheduler.kubeconfig') },
    certDirs: { controllerManager: path.join(dir, 'controller-manager-certs'), scheduler: path.join(dir, 'scheduler-certs') },
  };
}

interface StartStep {
  component: ComponentName;
  args: string[];
  health: () => Promise<boolean>;
  timeoutMs: number;
}

/** The components in dependency order, each started only once the one before it is healthy. */
function startSteps(spec: ClusterSpec, layout: LocalLayout, access: ApiserverAccess): StartStep[] {
  const server = access.server;
  return [
    {
      component: 'etcd',
      args: etcdArgs(spec, layout),
      timeoutMs: 30_000,
      health: async () => (await get(`http://127.0.0.1:${layout.ports.etcdMetrics}/health`)).body.includes('"health":"true"'),
    },
    {
      component: 'apiserver',
      args: apiserverArgs(spec, layout),
      timeoutMs: 90_000,
      health: async () => (await get(`${server}/readyz`, access)).status === 200,
    },
    {
      component: 'controller-manager',
      args: controllerManagerArgs(spec, layout),
      timeoutMs: 60_000,
      health: async () => (await get(`https://127.0.0.1:${layout.ports.controllerManager}/healthz`, access)).status === 200,
    },
    {
      component: 'scheduler',
      args: schedulerArgs(spec, layout),
      timeoutMs: 60_000,
      health: async () => (await get(`https://127.0.0.1:${layout.ports.scheduler}/healthz`, access)).status === 200,
    },
  ];
}

/** A running local cluster: watches its processes and cgroups, reports OOM kills and exits, restarts what dies. */
class LocalCluster implements Cluster, HostProcesses {
  readonly provider = 'local';
  readonly host: HostProcesses = this;
  readonly events = new EventEmitter();
  private readonly oomSeen = new Map<ComponentName, number>();
  private readonly backoff = new Map<ComponentName, number>();
  private watcher?: NodeJS.Timeout;
  private stopped = false;
  private restartOnExit = false;

  constructor(
    readonly state: ClusterState,
    readonly access: ApiserverAccess,
    readonly binaries: ResolvedBinary[],
    private readonly cgroupMap: Map<ComponentName, MemoryCgroup>,
    private readonly running: Map<ComponentName, StartedProcess>,
    private readonly launches: Map<ComponentName, LaunchSpec>,
  ) {
    for (const [component, started] of running) this.watchExit(component, started);
  }

  get name(): string {
    return this.state.name;
  }

  get kubeconfigPath(): string {
    return this.state.kubeconfig ?? '';
  }

  get loadKubeconfigPath(): string {
    return path.join(this.state.dir, 'load.kubeconfig');
  }

  async clientCa(): Promise<KeyPairPem> {
    const read = (file: string) => fs.readFile(path.join(this.state.dir, 'pki', file), 'utf8');
    return { certPem: await read('ca.crt'), keyPem: await read('ca.key') };
  }

  get logsDir(): string {
    return path.join(this.state.dir, 'logs');
  }

  private emit(event: ClusterEvent): void {
    this.events.emit('event', event);
  }

  private watchExit(component: ComponentName, started: StartedProcess): void {
    void started.exited.then(({ code, signal }) => {
      if (this.stopped) return;
      this.emit({ type: 'exited', component, at: new Date().toISOString(), code, signal });
      if (!this.restartOnExit) return;
      // A restart that cannot happen (the folder removed by `down --force`) ends the run; it must not crash it.
      this.restartLater(component).catch((error: unknown) => {
        const gone = (error as NodeJS.ErrnoException).code === 'ENOENT';
        const reason = gone
          ? `${component} cannot restart: the cluster folder ${this.state.dir} was removed under the run`
          : `${component} cannot restart: ${messageOf(error)}`;
        this.emit({ type: 'lost', component, at: new Date().toISOString(), reason });
      });
    });
  }

  private async restartLater(component: ComponentName): Promise<void> {
    // An OOM kill is counted when the kernel kills; poll now so the event precedes the restart.
    await this.pollOomKills();
    const backoffMs = this.backoff.get(component) ?? restartBackoff.initialMs;
    this.backoff.set(component, Math.min(backoffMs * 2, restartBackoff.maxMs));
    this.emit({ type: 'restarting', component, at: new Date().toISOString(), backoffMs });
    await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
    if (this.stopped) return;
    await this.restart(component);
  }

  /** Starts a component again with the same flags, in the same cgroup. */
  async restart(component: ComponentName): Promise<void> {
    const launch = this.launches.get(component);
    if (!launch || this.stopped) return;
    const started = startProcess(launch);
    this.running.set(component, started);
    this.state.processes[component] = { pid: started.pid, binary: launch.binary, logFile: launch.logFile, startedAt: new Date().toISOString() };
    await saveState(this.state);
    this.emit({ type: 'started', component, at: new Date().toISOString(), pid: started.pid });
    this.watchExit(component, started);
  }

  setRestartOnExit(enabled: boolean): void {
    this.restartOnExit = enabled;
  }

  /** Polls the cgroups' OOM-kill counters; the kernel gives no portable push notification for both cgroup versions. */
  watch(intervalMs = 250): void {
    if (this.watcher) return;
    this.watcher = setInterval(() => void this.pollOomKills(), intervalMs);
    this.watcher.unref();
  }

  async pollOomKills(): Promise<void> {
    for (const [component, cgroup] of this.cgroupMap) {
      const count = await cgroup.oomKills().catch(() => undefined);
      if (count === undefined) continue;
      const seen = this.oomSeen.get(component) ?? 0;
      if (count > seen) {
        this.oomSeen.set(component, count);
        this.emit({ type: 'oom-kill', component, at: new Date().toISOString(), count });
      }
    }
  }

  cgroupOf(component: ComponentName): MemoryCgroup | undefined {
    return this.cgroupMap.get(component);
  }

  cgroups(): { component: ComponentName; cgroup: MemoryCgroup }[] {
    return [...this.cgroupMap].map(([component, cgroup]) => ({ component, cgroup }));
  }

  processes(): { component: ComponentName; pid: number }[] {
    return (Object.entries(this.state.processes) as [ComponentName, { pid: number }][]).map(([component, record]) => ({ component, pid: record.pid }));
  }

  metricsTargets(): MetricsTarget[] {
    const targets: MetricsTarget[] = [
      { component: 'apiserver', url: `${this.access.server}/metrics`, access: this.access },
      { component: 'etcd', url: `http://127.0.0.1:${this.state.ports.etcdMetrics}/metrics` },
    ];
    if (this.launches.has('controller-manager'))
      targets.push({ component: 'controller-manager', url: `https://127.0.0.1:${this.state.ports.controllerManager}/metrics`, access: this.access });
    if (this.launches.has('scheduler'))
      targets.push({ component: 'scheduler', url: `https://127.0.0.1:${this.state.ports.scheduler}/metrics`, access: this.access });
    return targets;
  }

  async ready(): Promise<boolean> {
    return apiserverReady(this.access);
  }

  async status(): Promise<ComponentStatus[]> {
    return Promise.all(this.processes().map(({ component, pid }) => processStatus(component, pid, isAlive(pid), this.cgroupMap.get(component))));
  }

  async down(options: { keep?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.watcher) clearInterval(this.watcher);
    await teardownCluster(this.state.dir, options);
  }
}

/** Real etcd and kube-apiserver (and optionally controller-manager and scheduler) as child processes on 127.0.0.1. */
export class LocalProvider implements ClusterProvider {
  readonly name = 'local';

  async up(spec: ClusterSpec, options: UpOptions = {}): Promise<LocalCluster> {
    const say = options.onProgress ?? (() => undefined);
    const name = spec.name ?? newClusterName();
    if (!namePattern.test(name)) throw new UsageError(`invalid cluster name "${name}": use lowercase letters, digits and dashes`);
    const dir = clusterDir(name);
    const existing = await loadState(dir);
    if (existing && Object.values(existing.processes).some((p) => p && isAlive(p.pid))) {
      throw new UsageError(`cluster "${name}" is already running; stop it with: cpchaos down --name ${name}`);
    }
    if (existing) await teardownCluster(dir);

    const components: ComponentName[] = ['etcd', 'apiserver', ...spec.components.filter((c) => c !== 'etcd' && c !== 'apiserver')];
    const binaries = await resolveBinaries({
      versions: versionSet(spec.kubernetesVersion, spec.etcdVersion ? { etcd: spec.etcdVersion } : {}),
      names: components.map((c) => binaryOf[c]),
      binDir: spec.binDir,
      quiet: options.quiet,
      signal: options.signal,
    });

    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const state: ClusterState = {
      name,
      provider: 'local',
      dir,
      createdAt: new Date().toISOString(),
      ownerPid: process.pid,
      ownerStartTicks: startTicks(process.pid),
      status: 'starting',
      kubernetesVersion: spec.kubernetesVersion,
      cgroups: {},
      processes: {},
      ports: {},
    };
    await saveState(state);
    try {
      return await this.start(spec, state, components, binaries, options, say);
    } catch (error) {
      await teardownCluster(dir);
      if (error instanceof AbortedError || error instanceof UsageError || error instanceof InfrastructureError) throw error;
      throw new InfrastructureError(`could not start local cluster "${name}": ${messageOf(error)}`);
    }
  }

  private async start(
    spec: ClusterSpec,
    state: ClusterState,
    components: ComponentName[],
    resolved: Partial<Record<BinaryName, ResolvedBinary>>,
    options: UpOptions,
    say: (message: string) => void,
  ): Promise<LocalCluster> {
    const { dir, name } = state;
    const signal = options.signal;
    const pki = await createClusterPki();
    const pkiFiles = await writePki(pki, path.join(dir, 'pki'));
    const layout = await localLayout(dir, pkiFiles);
    state.ports = { ...layout.ports };
    const server = `https://127.0.0.1:${layout.ports.apiserver}`;
    state.server = server;
    await fs.mkdir(path.join(dir, 'logs'), { recursive: true });

    const cgroups = await this.makeCgroups(spec, state, components);
    const access: ApiserverAccess = { server, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
    await this.writeKubeconfigs(state, layout, pki, server);
    const processes = new Map<ComponentName, StartedProcess>();
    const launches = new Map<ComponentName, LaunchSpec>();

    const launch = async (component: ComponentName, args: string[]) => {
      const binary = resolved[binaryOf[component]];
      if (!binary) throw new Error(`no binary for ${component}`);
      const logFile = path.join(dir, 'logs', `${component}.log`);
      const spec: LaunchSpec = { binary: binary.path, args, logFile, cgroupProcsFile: cgroups.get(component)?.procsFile };
      launches.set(component, spec);
      const started = startProcess(spec);
      processes.set(component, started);
      state.processes[component] = { pid: started.pid, binary: binary.path, logFile, startedAt: new Date().toISOString() };
      await saveState(state);
      say(`started ${component} (pid ${started.pid})`);
      return { started, logFile };
    };
    const diedReason = (component: ComponentName, logFile: string) => async () => {
      const pid = state.processes[component]?.pid;
      if (pid !== undefined && isAlive(pid)) return undefined;
      return `${component} exited during start; last lines of ${logFile}:\n${await logTail(logFile)}`;
    };

    const steps = startSteps(spec, layout, access);
    for (const step of steps.filter((s) => components.includes(s.component))) {
      const { logFile } = await launch(step.component, step.args);
      await waitFor(`${binaryOf[step.component]} health`, step.health, { timeoutMs: step.timeoutMs, signal, failFast: diedReason(step.component, logFile) });
    }
    await this.bindLoadIdentity(server, access);
    state.status = 'ready';
    await saveState(state);
    const cluster = new LocalCluster(
      state,
      access,
      Object.values(resolved).filter((b): b is ResolvedBinary => !!b),
      cgroups,
      processes,
      launches,
    );
    say(`cluster "${name}" ready at ${server}`);
    return cluster;
  }

  private async makeCgroups(spec: ClusterSpec, state: ClusterState, components: ComponentName[]): Promise<Map<ComponentName, MemoryCgroup>> {
    const cgroups = new Map<ComponentName, MemoryCgroup>();
    const wantsLimits = Object.keys(spec.memoryLimits).length > 0;
    let driver: CgroupDriver | undefined;
    try {
      driver = await detectCgroupDriver();
      if (!driver) throw new Error(cgroupWritableHint(driver));
      state.cgroupVersion = driver.version;
      state.cgroupRoot = path.join(driver.parent, state.name);
      for (const component of components) {
        // Recorded before it exists, so a runner killed between the two still gets it removed.
        state.cgroups[component] = path.join(state.cgroupRoot, component);
        await saveState(state);
        const cgroup = await driver.create(path.join(state.name, component));
        await cgroup.setLimit(spec.memoryLimits[component]);
        cgroups.set(component, cgroup);
      }
    } catch (error) {
      const denied = ['EACCES', 'EPERM', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '');
      const hint = !driver || denied ? `; ${cgroupWritableHint(driver)}` : '';
      if (wantsLimits) throw new InfrastructureError(`memory limits need cgroups: ${messageOf(error)}${hint}`);
      // Without limits a cluster still works; it just cannot report cgroup memory or OOM kills.
      process.stderr.write(`warning: running without memory cgroups (${messageOf(error)})\n`);
      cgroups.clear();
    }
    return cgroups;
  }

  private async bindLoadIdentity(server: string, access: ApiserverAccess): Promise<void> {
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cpchaos-load' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'cpchaos:load' }],
    };
    const response = await postJson(`${server}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, binding, access);
    if (response.status !== 201 && response.status !== 409)
      throw new Error(`could not bind the load identity: HTTP ${response.status} ${response.body.slice(0, 200)}`);
  }

  private async writeKubeconfigs(state: ClusterState, layout: LocalLayout, pki: ClusterPki, server: string): Promise<void> {
    const admin = path.join(state.dir, 'kubeconfig');
    await writeKubeconfig(
      admin,
      kubeconfigYaml({ name: `cpchaos-${state.name}`, server, caPem: pki.ca.certPem, user: 'cpchaos-admin', credentials: pki.admin }),
    );
    await writeKubeconfig(
      layout.kubeconfigs.controllerManager,
      kubeconfigYaml({ name: 'local', server, caPem: pki.ca.certPem, user: 'system:kube-controller-manager', credentials: pki.controllerManager }),
    );
    await writeKubeconfig(
      layout.kubeconfigs.scheduler,
      kubeconfigYaml({ name: 'local', server, caPem: pki.ca.certPem, user: 'system:kube-scheduler', credentials: pki.scheduler }),
    );
    await writeKubeconfig(
      path.join(state.dir, 'load.kubeconfig'),
      kubeconfigYaml({ name: `cpchaos-${state.name}`, server, caPem: pki.ca.certPem, user: 'cpchaos-load', credentials: pki.load }),
    );
    state.kubeconfig = admin;
    await saveState(state);
  }
}

export type { LocalCluster };

export const localProvider: ProviderPlugin = {
  name: 'local',
  description: 'etcd + kube-apiserver (and controller-manager, scheduler if asked) as processes on this machine (the default)',
  settings: sharedClusterSettings,
  capabilities: ['processes'],
  create: () => new LocalProvider(),
};
