import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { setMaxListeners } from 'node:events';
import { Cancellation } from '../util/cancellation.js';
import { sleep } from '../util/wait.js';
import { Informer, type RelistPolicy } from './agents/informer.js';
import type { AgentKind } from './agents/types.js';
import { FleetStats } from './agents/stats.js';
import { verifyOptions, type TlsMaterial } from './transports/types.js';
import type { Authorization } from './authorization.js';

export interface FleetSpec {
  /** An agent kind's type: kubelet, kube-proxy, ... */
  type: string;
  count: number;
  relist: RelistPolicy;
  paginate: boolean;
  /** Agents start evenly over this long (0: all at once, itself a storm). */
  rampUpMs: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Node names are `cpchaos-node-<firstIndex + i>`; by default the next unused indexes. */
  firstIndex?: number;
}

export function nodeName(index: number): string {
  return `cpchaos-node-${index}`;
}

/**
 * Many simulated node agents in one process, each with its own informers and
 * connections, all reaching the apiserver through `server` (the runner's proxy).
 */
export class Fleet {
  readonly stats = new FleetStats();
  private readonly controller = new AbortController();
  private readonly cancellation = new Cancellation();
  private readonly agent: https.Agent;
  private readonly credentials?: Authorization;
  private readonly running: Promise<void>[] = [];
  private informers = new Map<string, number>();
  private nextNode = 0;

  constructor(
    private readonly server: string,
    tls: TlsMaterial,
    /** The agent kinds the composition root lists, by type. */
    private readonly kinds: ReadonlyMap<string, AgentKind>,
  ) {
    setMaxListeners(0, this.controller.signal);
    this.controller.signal.addEventListener('abort', () => this.cancellation.stop(), { once: true });
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: Number.POSITIVE_INFINITY,
      // client-go sets no ClientSessionCache: every connection of a real agent is a full TLS handshake.
      maxCachedSessions: 0,
      secureContext: createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key }),
      ...verifyOptions(tls),
    });
    this.credentials = tls.credentials;
  }

  async start(specs: FleetSpec[], signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    for (const spec of specs) {
      const kind = this.kinds.get(spec.type);
      if (!kind) throw new Error(`no agent kind "${spec.type}"`);
      const gapMs = spec.count > 1 ? spec.rampUpMs / spec.count : 0;
      const first = spec.firstIndex ?? this.allocateNodes(spec.count);
      for (let i = 0; i < spec.count && !this.controller.signal.aborted; i++) {
        const node = nodeName(first + i);
        for (const target of kind.informers(node)) {
          const informer = new Informer(target, {
            server: this.server,
            agent: this.agent,
            credentials: this.credentials,
            agentType: spec.type,
            policy: spec.relist,
            paginate: spec.paginate,
            backoff: spec.backoff ?? { initialMs: 800, maxMs: 30_000 },
            stats: this.stats,
            cancellation: this.cancellation,
          });
          this.running.push(informer.run());
          this.informers.set(spec.type, (this.informers.get(spec.type) ?? 0) + 1);
        }
        this.stats.agentStarted(spec.type);
        if (gapMs > 0) await sleep(gapMs, this.controller.signal).catch(() => undefined);
      }
    }
  }

  /** Reserves `count` node indexes no agent or joined node uses yet; returns the first. */
  allocateNodes(count: number): number {
    const first = this.nextNode;
    this.nextNode += count;
    return first;
  }

  /** Work that lasts as long as the fleet (lease renewals of joined nodes); stopped with it. */
  background(task: (signal: AbortSignal) => Promise<void>): void {
    this.running.push(task(this.controller.signal).catch(() => undefined));
  }

  /** True once every informer has finished its first LIST (or its WatchList's initial events). */
  synced(): boolean {
    for (const [type, count] of this.informers) {
      const stats = this.stats.byType.get(type);
      if (!stats || stats.lists - stats.relists < count) return false;
    }
    return true;
  }

  async waitSynced(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced()) {
      if (Date.now() > deadline) throw new Error(`the agent fleet did not finish its first LISTs within ${timeoutMs / 1000}s`);
      await sleep(100, signal);
    }
  }

  async stop(): Promise<void> {
    this.cancellation.stop();
    this.controller.abort();
    this.agent.destroy();
    await Promise.allSettled(this.running);
  }
}
