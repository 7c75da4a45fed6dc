import { createHash } from 'node:crypto';
import { BatchV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { deleteLabelled, runSelector } from '../../cluster/cleanup.js';
import { ClientStats } from '../../metrics/client-stats.js';
import { Cancellation } from '../../util/cancellation.js';
import { FleetStats } from '../agents/stats.js';
import { KubeApiClient } from '../client.js';
import type { AgentPlan } from '../fleet-workers.js';
import { runLabel } from '../seed.js';
import { writeConfigMap } from './configmaps.js';
import { cpchaosImage, kindNodeContainer, loadIntoKindNodes } from '../../image/image.js';
import { configKey, shardsLabel, type ScheduledDrop, type ShardControl, type ShardReport, type ShardsConfig } from './protocol.js';

export interface KubernetesPlacement {
  context: string;
  kubeconfig: string;
  namespace: string;
  shards: number;
  /** An image of cpchaos the load cluster can pull; by default one is built here and loaded into kind nodes. */
  image?: string;
}

export interface ShardTarget {
  server: string;
  caPem: string;
  token: string;
}

/** Kubernetes names from a run id: lowercase, DNS-1123, short enough for every kind of object, still unique. */
export function shardsName(runId: string): string {
  const safe = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `cpchaos-shards-${safe.slice(0, 24).replace(/-+$/, '')}-${createHash('sha256').update(runId).digest('hex').slice(0, 6)}`;
}

/**
 * The runner's side of a fleet sharded across a load cluster, the way k6-operator runs
 * k6: an Indexed Job whose pods each run `cpchaos agent` with one shard of the agents.
 * Everything it makes there carries the run's label, so teardown (or `cpchaos down
 * --existing --context <load>` after a killed runner) removes it.
 */
export class ShardedFleet {
  private readonly name: string;
  /** The load cluster, read once from the placement's kubeconfig and context. */
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly labels: Record<string, string>;
  private readonly mirrors = new Map<number, FleetStats>();
  private readonly reports = new Map<number, ShardReport>();
  private readonly polling = new Cancellation();
  private readonly control: ShardControl = { drops: [] };
  private poller?: Promise<void>;

  constructor(
    private readonly placement: KubernetesPlacement,
    private readonly runId: string,
    private readonly stats: FleetStats,
    private readonly progress: (text: string) => void,
    /** Told once if a shard fails after its Job started (a pod failed, was evicted or deleted). */
    private readonly lost: (reason: string) => void = () => undefined,
  ) {
    this.name = shardsName(runId);
    this.labels = { [runLabel]: runId };
    this.kc = new KubeConfig();
    this.kc.loadFromFile(placement.kubeconfig);
    this.kc.setCurrentContext(placement.context);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.batch = this.kc.makeApiClient(BatchV1Api);
  }

  /** Which image the Job runs, and whether it was put on the nodes here (then never pulled). */
  private async image(signal?: AbortSignal): Promise<{ ref: string; pullPolicy: 'Never' | 'IfNotPresent' }> {
    if (this.placement.image) return { ref: this.placement.image, pullPolicy: 'IfNotPresent' };
    const nodes = (await this.core.listNode()).items.map((n) => kindNodeContainer(n.spec?.providerID));
    if (!nodes.length || nodes.some((n) => n === undefined))
      throw new Error(
        `the load cluster ${this.placement.context} is not a kind cluster, so no image can be put on its nodes from here: set agents[].placement.kubernetes.image to an image of cpchaos it can pull (Dockerfile)`,
      );
    const image = await cpchaosImage(this.progress, signal);
    this.progress(`loading ${image.ref} into ${nodes.length} kind node(s)`);
    await loadIntoKindNodes(image, nodes as string[], signal);
    return { ref: image.ref, pullPolicy: 'Never' };
  }

  /** Creates the shards' identity, work and Job on the load cluster, and starts merging their stats. */
  async deploy(plans: AgentPlan[], target: ShardTarget, handshakesInFlight: number, signal?: AbortSignal): Promise<void> {
    const { namespace } = this.placement;
    const image = await this.image(signal);
    await this.ensureNamespace();
    const metadata = { name: this.name, namespace, labels: this.labels };
    await this.core.createNamespacedServiceAccount({ namespace, body: { metadata } });
    const rbac = this.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'update'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.name },
        subjects: [{ kind: 'ServiceAccount', name: this.name, namespace }],
      },
    });
    const config: ShardsConfig = {
      runId: this.runId,
      ...target,
      // Time for every pod to be scheduled and start before the first agent does.
      startAt: Date.now() + 15_000,
      plans,
      handshakesInFlight,
      namespace,
      controlName: `${this.name}-control`,
      statsPrefix: `${this.name}-stats`,
    };
    await this.core.createNamespacedSecret({ namespace, body: { metadata, stringData: { [configKey]: JSON.stringify(config) } } });
    await writeConfigMap(this.core, namespace, config.controlName, this.labels, { control: JSON.stringify(this.control) });
    await this.batch.createNamespacedJob({ namespace, body: this.job(plans.length, image) });
    this.poller = this.poll(config);
  }

  private async ensureNamespace(): Promise<void> {
    const exists = await this.core.readNamespace({ name: this.placement.namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) await this.core.createNamespace({ body: { metadata: { name: this.placement.namespace, labels: this.labels } } });
  }

  private job(shards: number, image: { ref: string; pullPolicy: string }) {
    return {
      metadata: { name: this.name, namespace: this.placement.namespace, labels: this.labels },
      spec: {
        completionMode: 'Indexed',
        completions: shards,
        parallelism: shards,
        backoffLimit: 0,
        template: {
          metadata: { labels: this.labels },
          spec: {
            serviceAccountName: this.name,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'shard',
                image: image.ref,
                imagePullPolicy: image.pullPolicy,
                args: ['agent', '--config', `/etc/cpchaos/${configKey}`],
                volumeMounts: [{ name: 'config', mountPath: '/etc/cpchaos', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', secret: { secretName: this.name } }],
          },
        },
      },
    };
  }

  /** Every 500 ms: the shards' reports, their stats merged into the fleet's. */
  private async poll(config: ShardsConfig): Promise<void> {
    const selector = `${runLabel}=${this.runId},${shardsLabel}=stats`;
    let polls = 0;
    while (!this.polling.stopped) {
      const listed = await this.core.listNamespacedConfigMap({ namespace: config.namespace, labelSelector: selector }).catch(() => undefined);
      for (const item of listed?.items ?? []) {
        const report = JSON.parse(item.data?.report ?? '{}') as ShardReport;
        if (report.shard === undefined) continue;
        this.reports.set(report.shard, report);
        let mirror = this.mirrors.get(report.shard);
        if (!mirror) this.mirrors.set(report.shard, (mirror = new FleetStats()));
        mirror.setTotals(report.stats);
        this.stats.add(mirror.delta());
      }
      if (++polls % 4 === 0 && (await this.failedShards())) return;
      await this.polling.sleep(500);
    }
  }

  /**
   * Whether a shard's pod failed, every 2 s. The Job (no retries) counts a pod that failed or was deleted before it
   * ended, and then ends the others; its agents are gone, so the run is told and this stops polling.
   */
  private async failedShards(): Promise<boolean> {
    const job = await this.batch.readNamespacedJobStatus({ name: this.name, namespace: this.placement.namespace }).catch(() => undefined);
    // Once the shards are told to stop, the Job ending is teardown's doing.
    if (this.control.stop || !job?.status?.failed) return false;
    const why = job.status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True')?.message;
    this.lost(`the Job of agent shards on ${this.placement.context} failed${why ? ` (${why})` : ''}; its pods: ${await this.jobState()}`);
    return true;
  }

  private async until(what: string, done: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (signal?.aborted) throw new Error('interrupted');
      if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000}s (${await this.jobState()})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private async jobState(): Promise<string> {
    const pods = await this.core.listNamespacedPod({ namespace: this.placement.namespace, labelSelector: `${runLabel}=${this.runId}` }).catch(() => undefined);
    return (
      (pods?.items ?? [])
        .map(
          (p) =>
            `${p.metadata?.name}: ${p.metadata?.deletionTimestamp ? 'Terminating' : p.status?.phase}${p.status?.containerStatuses?.[0]?.state?.waiting?.reason ? ` ${p.status.containerStatuses[0].state.waiting.reason}` : ''}`,
        )
        .join(', ') || 'no pods'
    );
  }

  /** Resolves when every shard has started all of its agents. */
  async waitStarted(shards: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.until(
      `${shards} shards on ${this.placement.context} started`,
      () => [...this.reports.values()].filter((r) => r.started).length === shards,
      timeoutMs,
      signal,
    );
  }

  /** Every shard resets its agents' connections at one wall-clock instant; the skew is how far apart they really did. */
  async drop(fraction: number, shards: number): Promise<{ dropped: number; skewMs: number }> {
    const drop: ScheduledDrop = { id: this.control.drops.length, at: Date.now() + 2_000, fraction };
    this.control.drops.push(drop);
    await writeConfigMap(this.core, this.placement.namespace, `${this.name}-control`, this.labels, { control: JSON.stringify(this.control) });
    const applied = () => [...this.reports.values()].flatMap((r) => r.drops.filter((d) => d.id === drop.id));
    await this.until(`drop ${drop.id} applied by every shard`, () => applied().length === shards, 30_000);
    const times = applied().map((d) => d.at);
    return { dropped: applied().reduce((sum, d) => sum + d.dropped, 0), skewMs: Math.max(...times) - Math.min(...times) };
  }

  /** Stops the shards (their last stats merged), then deletes everything the run made on the load cluster. */
  async stop(shards: number): Promise<void> {
    this.control.stop = true;
    await writeConfigMap(this.core, this.placement.namespace, `${this.name}-control`, this.labels, { control: JSON.stringify(this.control) }).catch(
      () => undefined,
    );
    await this.until('shards stopped', () => [...this.reports.values()].filter((r) => r.stopped).length === shards, 20_000).catch(() => undefined);
    this.polling.stop();
    await this.poller;
    await removeFromLoadCluster(this.placement, this.runId);
  }
}

/** Deletes every object the run made on the load cluster (also what a killed runner left: `cpchaos down --existing`). */
export async function removeFromLoadCluster(placement: Pick<KubernetesPlacement, 'kubeconfig' | 'context'>, runId: string): Promise<void> {
  const client = await KubeApiClient.fromKubeconfig(placement.kubeconfig, new ClientStats(), { context: placement.context });
  try {
    const result = await deleteLabelled(client, runSelector(runId));
    if (result.failed.length) throw new Error(`cleaning the load cluster ${placement.context} left: ${result.failed.slice(0, 3).join('; ')}`);
  } finally {
    client.close();
  }
}
