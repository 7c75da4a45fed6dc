import type { AgentWrite, RegisterTemplate } from '../../core/agent-model.js';
import type { Cancellation } from '../../util/cancellation.js';
import { ciliumNodeObject } from '../objects/cilium.js';
import { nodeObject } from '../objects/node.js';
import { leaseHasOwner, newLease, renewedLease, uidOf, type LeaseRenewal } from './lease-protobuf.js';
import type { FleetStats } from './stats.js';
import type { AgentWire, WireRequest, WireResponse } from './wire.js';

export interface WriterOptions {
  wire: AgentWire;
  agentType: string;
  stats: FleetStats;
  cancellation: Cancellation;
  /** Labels every object the agent creates carries (the run's), so a run's teardown finds them. */
  labels: Record<string, string>;
  random?: () => number;
}

const json = 'application/json';
const protobuf = 'application/vnd.kubernetes.protobuf';
const templates: Record<RegisterTemplate, (name: string) => Record<string, unknown>> = {
  node: (name) => nodeObject(name, ''),
  'cilium-node': ciliumNodeObject,
};

/**
 * An agent's steady-state writes over its own connection: it registers first, then runs
 * its heartbeats side by side until the fleet stops. A failed request is counted and
 * tried again on the next beat, as the real loops do.
 */
export class AgentWriter {
  private readonly random: () => number;

  constructor(private readonly o: WriterOptions) {
    this.random = o.random ?? Math.random;
  }

  async run(writes: AgentWrite[]): Promise<void> {
    for (const write of writes) if (write.kind === 'register') await this.register(write);
    await Promise.all(writes.map((write) => (write.kind === 'lease' ? this.lease(write) : write.kind === 'node-status' ? this.nodeStatus(write) : undefined)));
  }

  /** Sends a request, counted by what it is; a failure (an answer past 2xx other than `expected`, or none) is counted as a break. */
  private async send(what: string, request: WireRequest, expected?: number): Promise<WireResponse | undefined> {
    this.o.stats.requested(this.o.agentType, what);
    try {
      const response = await this.o.wire.send(request);
      if (response.status >= 300 && response.status !== expected) this.o.stats.watchBroken(this.o.agentType, `${what} -> ${response.status}`);
      return response;
    } catch (error) {
      if (!this.o.cancellation.stopped) this.o.stats.watchBroken(this.o.agentType, `${what} -> ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      return undefined;
    }
  }

  private withLabels(object: Record<string, unknown>): Record<string, unknown> {
    const metadata = (object.metadata ?? {}) as { labels?: Record<string, string> };
    return { ...object, metadata: { ...metadata, labels: { ...metadata.labels, ...this.o.labels } } };
  }

  /** A kubelet's registerWithAPIServer: create; one that exists is read back. Retried with its backoff (100 ms doubling to 7 s) until it answers. */
  private async register(write: Extract<AgentWrite, { kind: 'register' }>): Promise<void> {
    const body = JSON.stringify(this.withLabels(templates[write.template](write.name)));
    for (let step = 100; !this.o.cancellation.stopped; step = Math.min(step * 2, 7000)) {
      const created = await this.send(`POST ${write.resource}`, { method: 'POST', path: write.path, protobuf: true, body, contentType: json }, 409);
      if (created && created.status < 300) return;
      if (created?.status === 409) {
        await this.send(`GET ${write.resource}`, { method: 'GET', path: `${write.path}/${write.name}`, protobuf: true });
        return;
      }
      await this.o.cancellation.sleep(step);
    }
  }

  /** wait.JitterUntil(period, jitter 0.04, sliding): the next beat `period` plus up to 4 % after this one ends. */
  private async beat(everyMs: number, once: () => Promise<void>): Promise<void> {
    while (!this.o.cancellation.stopped) {
      await once();
      await this.o.cancellation.sleep(everyMs * (1 + 0.04 * this.random()));
    }
  }

  /**
   * client-go's lease controller (component-helpers/apimachinery/lease), in protobuf as the
   * kubelet's heartbeat client sends it: with the last Lease it wrote in hand, a PUT with a new
   * renewTime; without one (at start, or after a failed PUT), GET it, CREATE it when missing,
   * else PUT. While the Lease has no owner, the kubelet's post-processing GETs its Node to set one.
   */
  private lease(write: Extract<AgentWrite, { kind: 'lease' }>): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${write.namespace}/leases`;
    let latest: Buffer | undefined;
    const owner = async (lease: Buffer | undefined) => {
      if (!write.ownerNode || (lease && leaseHasOwner(lease))) return undefined;
      const node = await this.send('GET nodes', { method: 'GET', path: `/api/v1/nodes/${write.ownerNode}`, protobuf: true });
      const uid = node?.status === 200 ? uidOf(node.body) : undefined;
      return uid ? { name: write.ownerNode, uid } : undefined;
    };
    const renewal = async (lease: Buffer | undefined): Promise<LeaseRenewal> => {
      const owned = await owner(lease);
      return { holder: write.holder, durationSeconds: write.durationSeconds, renewTime: new Date(), ...(owned ? { owner: owned } : {}) };
    };
    const put = async (lease: Buffer) => {
      const body = renewedLease(lease, await renewal(lease));
      const response = await this.send('PUT leases', { method: 'PUT', path: `${path}/${write.name}`, protobuf: true, body, contentType: protobuf });
      return response?.status === 200 ? response.body : undefined;
    };
    return this.beat(write.everyMs, async () => {
      if (latest) {
        latest = await put(latest);
        if (latest) return;
      }
      const got = await this.send('GET leases', { method: 'GET', path: `${path}/${write.name}`, protobuf: true }, 404);
      if (got?.status === 200) {
        latest = await put(got.body);
        return;
      }
      if (got?.status !== 404) return;
      const body = newLease({ name: write.name, namespace: write.namespace, labels: this.o.labels, ...(await renewal(undefined)) });
      const created = await this.send('POST leases', { method: 'POST', path, protobuf: true, body, contentType: protobuf });
      if (created?.status === 201) latest = created.body;
    });
  }

  /**
   * The kubelet's node status loop (syncNodeStatus): up to 5 tries of tryUpdateNodeStatus, which
   * GETs its Node (the first try from the watch cache, resourceVersion=0, later ones from etcd)
   * and PATCHes its status when it changed or the report interval has passed since the last.
   * Nothing here changes, so that is the first beat and then every report interval.
   */
  private nodeStatus(write: Extract<AgentWrite, { kind: 'node-status' }>): Promise<void> {
    let reported = Number.NEGATIVE_INFINITY;
    const tryUpdate = async (attempt: number): Promise<boolean> => {
      const path = `/api/v1/nodes/${write.node}${attempt === 0 ? '?resourceVersion=0' : ''}`;
      const got = await this.send(attempt === 0 ? 'GET nodes rv=0' : 'GET nodes', { method: 'GET', path, protobuf: true });
      if (got?.status !== 200) return false;
      if (performance.now() - reported < write.reportEveryMs) return true;
      const patched = await this.send('PATCH nodes/status', {
        method: 'PATCH',
        path: `/api/v1/nodes/${write.node}/status`,
        protobuf: true,
        body: JSON.stringify(heartbeatPatch()),
        contentType: 'application/strategic-merge-patch+json',
      });
      if (patched?.status !== 200) return false;
      reported = performance.now();
      return true;
    };
    return this.beat(write.everyMs, async () => {
      for (let attempt = 0; attempt < 5 && !this.o.cancellation.stopped; attempt++) if (await tryUpdate(attempt)) return;
    });
  }
}

/** The strategic merge patch a kubelet sends when only its conditions' heartbeat times moved. */
export function heartbeatPatch(now = new Date()): Record<string, unknown> {
  const types = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    status: {
      '$setElementOrder/conditions': types.map((type) => ({ type })),
      conditions: types.map((type) => ({ lastHeartbeatTime: at, type })),
    },
  };
}
