import { EventEmitter } from 'node:events';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InfrastructureError, messageOf, UsageError } from '../errors.js';
import { KubeApiClient, kubeconfigIdentity } from '../load/client.js';
import { defaultKubeconfig } from '../util/kubeconfig-path.js';
import { ClientStats } from '../metrics/client-stats.js';
import { deleteLabelled, runSelector, type CleanupResult } from './cleanup.js';
import { get } from './https.js';
import { apiserverReady } from './shared.js';
import type { ProviderPlugin } from '../core/plugin.js';
import type { ClusterConfig } from '../experiment/schema.js';
import type { ApiserverAccess, Cluster, ClusterProvider, ClusterSpec, ComponentStatus, MetricsTarget, UpOptions } from '../core/cluster.js';

export interface ExistingTarget {
  /** The experiment's cluster.context. */
  context: string;
  /** The value of --target-existing: must be the same context, typed by the user. */
  confirmedContext?: string;
  kubeconfig?: string;
  /** The run whose objects teardown removes (the value of their cpchaos.io/run label). */
  runId: string;
  /** The resources the run may create: teardown sweeps these (all it knows when absent, as `down --existing` does). */
  creates?: readonly string[];
}

export { defaultKubeconfig };

/** Deletes what cpchaos runs (one run, or all) created on a cluster we do not own: teardown, and `cpchaos down --existing`. */
export async function cleanExisting(options: { context: string; kubeconfig?: string; runId?: string; only?: readonly string[] }): Promise<CleanupResult> {
  const client = await KubeApiClient.fromKubeconfig(options.kubeconfig ?? defaultKubeconfig(), new ClientStats(), { context: options.context });
  try {
    return await deleteLabelled(client, runSelector(options.runId), { only: options.only });
  } finally {
    client.close();
  }
}

/**
 * Refuses unless the user typed the exact context: pointing chaos at the wrong
 * cluster is the mistake this tool must never make easy.
 */
export function checkOptIn(target: Pick<ExistingTarget, 'context' | 'confirmedContext'>): void {
  if (target.confirmedContext === undefined) {
    throw new UsageError(`this experiment targets the existing cluster of context "${target.context}"; to run it, pass --target-existing ${target.context}`);
  }
  if (target.confirmedContext !== target.context) {
    throw new UsageError(`--target-existing ${target.confirmedContext} does not match the experiment's context "${target.context}"; refusing`);
  }
}

class ExistingCluster implements Cluster {
  readonly provider = 'existing';
  readonly binaries = [];
  readonly events = new EventEmitter();

  constructor(
    readonly name: string,
    readonly kubeconfigPath: string,
    readonly kubeconfigContext: string,
    readonly access: ApiserverAccess,
    readonly logsDir: string,
    private readonly runId: string,
    private readonly creates: readonly string[] | undefined,
    readonly serverVersion?: string,
  ) {}

  get loadKubeconfigPath(): string {
    return this.kubeconfigPath;
  }

  async status(): Promise<ComponentStatus[]> {
    return [];
  }

  /** The apiserver's /metrics through the user's identity (needs RBAC on the /metrics URL); etcd is not reachable. */
  metricsTargets(): MetricsTarget[] {
    return [{ component: 'apiserver', url: `${this.access.server}/metrics`, access: this.access }];
  }

  async ready(): Promise<boolean> {
    return apiserverReady(this.access, 5_000);
  }

  /** Removes every object this run created; the cluster itself is not ours to stop. */
  async down(): Promise<void> {
    try {
      const result = await cleanExisting({ context: this.kubeconfigContext, kubeconfig: this.kubeconfigPath, runId: this.runId, only: this.creates });
      if (result.failed.length)
        throw new Error(
          `cleanup of run ${this.runId} left objects behind: ${result.failed.slice(0, 3).join('; ')}; cpchaos down --existing --context ${this.kubeconfigContext} retries`,
        );
    } finally {
      await fs.rm(this.logsDir, { recursive: true, force: true });
    }
  }
}

/** A cluster someone already runs (staging, a managed service): client-side faults only, and only by explicit consent. */
export class ExistingProvider implements ClusterProvider {
  readonly name = 'existing';

  constructor(private readonly target: ExistingTarget) {}

  async up(_spec: ClusterSpec, _options: UpOptions = {}): Promise<Cluster> {
    checkOptIn(this.target);
    const kubeconfig = this.target.kubeconfig ?? defaultKubeconfig();
    let identity: Awaited<ReturnType<typeof kubeconfigIdentity>>;
    try {
      identity = await kubeconfigIdentity(kubeconfig, this.target.context);
    } catch (error) {
      throw new UsageError(`existing cluster: ${messageOf(error)}`);
    }
    const { server, tls } = identity;
    const pem = (value: unknown) => (value === undefined ? undefined : Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
    const access: ApiserverAccess = {
      server,
      caPem: pem(tls.ca),
      certPem: pem(tls.cert),
      keyPem: pem(tls.key),
      ...(tls.credentials ? { credentials: tls.credentials } : {}),
      ...(tls.insecure ? { insecure: true } : {}),
    };
    const version = await get(`${server}/version`, access, 10_000).catch((error: unknown) => {
      throw new InfrastructureError(`existing cluster ${this.target.context} (${server}) does not answer: ${messageOf(error)}`);
    });
    if (version.status !== 200)
      throw new InfrastructureError(`existing cluster ${this.target.context} (${server}): GET /version answered HTTP ${version.status}`);
    const logsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-existing-'));
    const gitVersion = (JSON.parse(version.body) as { gitVersion?: string }).gitVersion;
    return new ExistingCluster(this.target.context, kubeconfig, this.target.context, access, logsDir, this.target.runId, this.target.creates, gitVersion);
  }
}

const existingKeys = {
  context: Type.Optional(
    Type.String({ minLength: 1, description: 'existing: the exact kubeconfig context to use; the run also needs --target-existing <the same context>' }),
  ),
  kubeconfig: Type.Optional(Type.String({ minLength: 1, description: 'existing: the kubeconfig file (default $KUBECONFIG, else ~/.kube/config)' })),
};

export const existingProvider: ProviderPlugin<ClusterConfig & Static<TObject<typeof existingKeys>>> = {
  name: 'existing',
  description: 'a cluster you already have (client-side faults only; needs --target-existing <context>)',
  schema: existingKeys,
  settings: [],
  capabilities: [],
  validate: (cluster) =>
    cluster.context ? [] : [{ path: ['cluster'], message: 'the existing provider needs context: the exact kubeconfig context to run against' }],
  checkConsent: (cluster, targetExisting) => checkOptIn({ context: cluster.context!, confirmedContext: targetExisting }),
  create: (cluster, options) =>
    new ExistingProvider({
      context: cluster.context!,
      confirmedContext: options.targetExisting,
      kubeconfig: cluster.kubeconfig,
      runId: options.runId,
      creates: options.creates,
    }),
};
