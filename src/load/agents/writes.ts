import type { AgentWrite, RegisterTemplate } from '../../core/agent-model.js';
import type { Cancellation } from '../../util/cancellation.js';
import { ciliumNodeObject } from '../objects/cilium.js';
import { nodeObject } from '../objects/node.js';
import { statusMessage } from './frames.js';
import { HeartbeatClient } from './heartbeat-client.js';
import { LeaseController } from './lease-controller.js';
import type { FleetStats } from './stats.js';
import type { AgentWire, WireRequest, WireResponse } from './wire.js';

export interface WriterOptions {
  wire: AgentWire;
  agentType: string;
  stats: FleetStats;
  cancellation: Cancellation;
  /** Labels every object the agent creates carries (the run's), so a run's teardown finds them. */
  labels: Record<string, string>;
  /**
   * What a kubelet closes after repeated heartbeat failures: over HTTP/2 its idle connections ('idle'), with DISABLE_HTTP2
   * all of them ('all', closeAllConns). Kubelet's buildKubeletClientConfig.
   */
  closeOnHeartbeatFailure: 'idle' | 'all';
  random?: () => number;
}

const json = 'application/json';
const templates: Record<RegisterTemplate, (name: string) => Record<string, unknown>> = {
  node: (name) => nodeObject(name, ''),
  'cilium-node': ciliumNodeObject,
};

/**
 * An agent's steady-state writes over its own connection: it registers first, then runs
 * its heartbeats side by side until the fleet stops. A failed request is counted and
 * tried again as the real loops do: within a beat (the lease controller, the node status
 * loop's five tries) or at the next.
 */
export class AgentWriter {
  private readonly random: () => number;
  private readonly heartbeats: HeartbeatClient;

  constructor(private readonly o: WriterOptions) {
    this.random = o.random ?? Math.random;
    this.heartbeats = new HeartbeatClient({ wire: o.wire, cancellation: o.cancellation });
  }

  async run(writes: AgentWrite[]): Promise<void> {
    for (const write of writes) if (write.kind === 'register') await this.register(write);
    await Promise.all(writes.map((write) => (write.kind === 'lease' ? this.lease(write) : write.kind === 'node-status' ? this.nodeStatus(write) : undefined)));
  }

  /** Sends a request over the agent's main client, counted by what it is; a failure (an answer past 2xx other than `expected`, or none) is counted as a break. */
  private send(what: string, request: WireRequest, expected?: number): Promise<WireResponse | undefined> {
    this.o.stats.requested(this.o.agentType, what);
    return this.counted(what, this.o.wire.send(request), expected);
  }

  /** The same through the kubelet's heartbeat client: its timeout, and client-go's retries, each counted as a request. */
  private heartbeat(what: string, request: WireRequest, expected?: number): Promise<WireResponse | undefined> {
    return this.counted(
      what,
      this.heartbeats.send(request, () => this.o.stats.requested(this.o.agentType, what)),
      expected,
    );
  }

  private async counted(what: string, sent: Promise<WireResponse>, expected?: number): Promise<WireResponse | undefined> {
    try {
      const response = await sent;
      if (response.status >= 300 && response.status !== expected)
        this.o.stats.watchBroken(this.o.agentType, `${what} -> ${response.status}`, statusMessage(response.body));
      return response;
    } catch (error) {
      if (!this.o.cancellation.stopped) this.o.stats.watchBroken(this.o.agentType, `${what} -> ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      return undefined;
    }
  }

  /**
   * The kubelet's onRepeatedHeartbeatFailure. Over HTTP/2 it closes only idle connections (utilnet.CloseIdleConnectionsFor):
   * one carrying watches stays, and HTTP/2's pings are what find a dead one. With DISABLE_HTTP2, closeAllConns: its watches
   * end, and are asked again over a new connection.
   */
  private repeatedHeartbeatFailure(): void {
    if (this.o.cancellation.stopped) return;
    if (this.o.closeOnHeartbeatFailure === 'idle') {
      this.o.stats.watchBroken(this.o.agentType, 'heartbeat failed again: idle connections closed');
      this.o.wire.closeIdleConnections();
      return;
    }
    this.o.stats.watchBroken(this.o.agentType, 'heartbeat failed again: connections closed');
    this.o.wire.closeConnections();
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

  /** client-go's lease controller as the kubelet runs it (lease-controller.ts), every `everyMs` with jitter. */
  private lease(write: Extract<AgentWrite, { kind: 'lease' }>): Promise<void> {
    const controller = new LeaseController({
      write,
      send: (what, request, expected) => this.heartbeat(what, request, expected),
      cancellation: this.o.cancellation,
      labels: this.o.labels,
      onRepeatedFailure: () => this.repeatedHeartbeatFailure(),
    });
    return this.beat(write.everyMs, () => controller.sync());
  }

  /**
   * The kubelet's node status loop (syncNodeStatus): up to 5 tries of tryUpdateNodeStatus, which
   * GETs its Node (the first try from the watch cache, resourceVersion=0, later ones from etcd)
   * and PATCHes its status when it changed or the report interval has passed since the last.
   * Nothing here changes, so that is the first beat and then every report interval. Both go through
   * the heartbeat client.
   */
  private nodeStatus(write: Extract<AgentWrite, { kind: 'node-status' }>): Promise<void> {
    let reported = Number.NEGATIVE_INFINITY;
    const tryUpdate = async (attempt: number): Promise<boolean> => {
      const path = `/api/v1/nodes/${write.node}${attempt === 0 ? '?resourceVersion=0' : ''}`;
      const got = await this.heartbeat(attempt === 0 ? 'GET nodes rv=0' : 'GET nodes', { method: 'GET', path, protobuf: true });
      if (got?.status !== 200) return false;
      if (performance.now() - reported < write.reportEveryMs) return true;
      const patched = await this.heartbeat('PATCH nodes/status', {
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
      for (let attempt = 0; attempt < 5 && !this.o.cancellation.stopped; attempt++) {
        if (await tryUpdate(attempt)) return;
        // updateNodeStatus: each failure past the first calls onRepeatedHeartbeatFailure.
        if (attempt > 0) this.repeatedHeartbeatFailure();
      }
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
