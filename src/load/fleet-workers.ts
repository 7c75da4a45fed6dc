import type { SocketBudget } from './agents/sockets.js';
import { Worker } from 'node:worker_threads';
import type { RelistPolicy } from '../core/agent-fleet.js';
import type { ClientModel } from './agents/reflector.js';
import type { FleetStats, FleetStatsDelta } from './agents/stats.js';
import type { AgentIdentity, AgentWrite, InformerTarget } from './agents/types.js';
import type { AgentIdentitySource } from './agent-identities.js';

/** A spec's agents made concrete: their nodes and what each lists and watches. Plain data, so it crosses to a worker thread. */
export interface AgentPlan {
  type: string;
  /** Who its agents are to the apiserver, when the fleet gives them identities of their own. */
  identity?: AgentIdentity;
  /** client-go: the reflector of the client's release (`client`); the others force a relist on every break. */
  relist: RelistPolicy | 'client-go';
  client?: AgentClient;
  paginate: boolean;
  rampUpMs: number;
  backoff: { initialMs: number; maxMs: number };
  agents: { node: string; targets: InformerTarget[]; writes: AgentWrite[] }[];
  /** Labels on every object the agents create. */
  labels: Record<string, string>;
}

/** The client-go model of an agent set: its release's reflector, and how it talks (HTTP/2 by default, as client-go). */
export type AgentClient = ClientModel & { protocol: 'http2' | 'http1' };

/** Where a worker thread reads the load identity: credentials that refresh (exec plugins) cannot be copied between threads. */
export interface FleetIdentity {
  kubeconfigPath: string;
  context?: string;
}

/** What the worker thread is given at start. */
export interface FleetThreadInit {
  server: string;
  serverName?: string;
  identity: FleetIdentity;
  /** The runner's count of agent sockets, which every thread adds to. */
  socketBudget?: SocketBudget;
  /** The TLS handshakes the thread's agents may have in flight (a gate of its own; 0, no limit). */
  handshakesInFlight: number;
}

/** What a connection reset found: the agents' connections open, and how many of them it reset. */
export interface ConnectionsReset {
  open: number;
  reset: number;
}

/** A plan to start, with the agents' own identities (the CA key and tokens: the thread is in this process) when the fleet gives them. */
export type ToThread =
  { type: 'start'; id: number; plan: AgentPlan; identities?: AgentIdentitySource } | { type: 'reset'; id: number; fraction: number } | { type: 'stop' };
export type FromThread =
  | { type: 'stats'; delta: FleetStatsDelta }
  | { type: 'started'; id: number }
  | { type: 'reset'; id: number; result: ConnectionsReset }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

/** A plan's agents dealt round-robin into `parts` plans, each with the same ramp-up, so together they start at the same rate. */
export function splitPlan(plan: AgentPlan, parts: number): AgentPlan[] {
  return Array.from({ length: parts }, (_, part) => ({ ...plan, agents: plan.agents.filter((_, i) => i % parts === part) })).filter((p) => p.agents.length);
}

/**
 * The runner's side of one worker thread of the fleet: hands it plans, merges the
 * stats it reports (every 100 ms) into the fleet's, and stops it.
 */
export class FleetWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, () => void>();
  private readonly resets = new Map<number, (result: ConnectionsReset) => void>();
  private nextId = 0;
  private failure?: Error;
  /** The identities last handed to the thread: it builds its issuer and token renewal again only when they change. */
  private sentIdentities?: AgentIdentitySource;
  private readonly stopped: Promise<void>;
  /** Plans handed to the thread and not started yet: a failure then fails start(). */
  private starting = 0;
  private stopping = false;

  constructor(init: FleetThreadInit, stats: FleetStats) {
    this.worker = new Worker(new URL('./fleet-thread.js', import.meta.url), { workerData: init });
    this.stopped = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', (error) => {
      this.fail(error);
      // Its agents are gone. Past its start, nothing waits to hear it: a run would go on and judge the agents left.
      // So the crash is the runner's, as Node makes it of a worker's error no one listens for, and its teardown runs.
      if (!this.starting && !this.stopping) throw new Error(`a fleet worker thread crashed: ${error.message}`, { cause: error });
    });
    this.worker.on('message', (message: FromThread) => {
      if (message.type === 'stats') stats.add(message.delta);
      else if (message.type === 'started') this.settle(message.id);
      else if (message.type === 'reset') this.resets.get(message.id)?.(message.result);
      else if (message.type === 'failed') this.fail(new Error(message.message));
      else void this.worker.terminate();
    });
  }

  private settle(id: number): void {
    this.pending.get(id)?.();
    this.pending.delete(id);
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const id of [...this.pending.keys()]) this.settle(id);
    for (const answer of this.resets.values()) answer({ open: 0, reset: 0 });
    this.resets.clear();
  }

  /** Resets a fraction of the thread's agent connections (an RST each). */
  resetConnections(fraction: number): Promise<ConnectionsReset> {
    if (this.failure) return Promise.resolve({ open: 0, reset: 0 });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.resets.set(id, (result) => {
        this.resets.delete(id);
        resolve(result);
      });
      this.worker.postMessage({ type: 'reset', id, fraction } satisfies ToThread);
    });
  }

  /** Resolves once the thread has started every agent of the plan (after its ramp-up). */
  async start(plan: AgentPlan, identities?: AgentIdentitySource): Promise<void> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const changed = identities !== this.sentIdentities ? identities : undefined;
    this.sentIdentities = identities;
    this.starting++;
    await new Promise<void>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ type: 'start', id, plan, ...(changed ? { identities: changed } : {}) } satisfies ToThread);
    }).finally(() => this.starting--);
    const failure = this.failure as Error | undefined;
    if (failure) throw new Error(`a fleet worker thread failed: ${failure.message}`);
  }

  /** Stops every agent of the thread; its last stats arrive before this resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.worker.postMessage({ type: 'stop' } satisfies ToThread);
    const deadline = setTimeout(() => void this.worker.terminate(), 10_000);
    await this.stopped;
    clearTimeout(deadline);
  }
}
