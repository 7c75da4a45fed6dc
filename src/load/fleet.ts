import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { InfrastructureError } from '../errors.js';
import { Cancellation } from '../util/cancellation.js';
import { openFilesLimit } from '../util/open-files.js';
import { sleep } from '../util/wait.js';
import { Informer } from './agents/informer.js';
import type { AgentBatch, AgentFleet, RelistPolicy } from '../core/agent-fleet.js';
import { Reflector, type ReflectorOptions } from './agents/reflector.js';
import { ClientGoBackoff } from './agents/client-go-backoff.js';
import { Http2Wire } from './agents/wire-http2.js';
import { Http1Wire } from './agents/wire-http1.js';
import type { AgentWire } from './agents/wire.js';
import type { AgentKind, InformerTarget } from './agents/types.js';
import { PodObjectWatches, podObjectsType } from './agents/pod-object-watches.js';
import type { ApiClient } from '../core/api-client.js';
import { ShardedFleet, shardsName, type KubernetesPlacement } from './shards/remote.js';
import { agentRules, agentToken } from './shards/target-identity.js';
import { FleetWorker, splitPlan, type ConnectionsReset, type AgentClient, type AgentPlan, type FleetIdentity } from './fleet-workers.js';
import { FleetStats } from './agents/stats.js';
import { AgentWriter } from './agents/writes.js';
import { ensureCrds } from './agents/crds.js';
import { AgentSockets, socketBudget, type SocketBudget } from './agents/sockets.js';
import { HandshakeGate } from './agents/handshake-gate.js';
import { dialDeadlines } from './agents/dial-deadlines.js';
import { secureContextOf, verifyOptions, type TlsMaterial } from './transports/types.js';
import type { Authorization } from '../core/authorization.js';
import { AgentIdentities, agentNamespace, serviceAccountTokens, type AgentCredentials, type AgentIdentitySource } from './agent-identities.js';
import { createOver, requestToken } from './service-account-token.js';
import type { KeyPairPem } from '../core/cluster.js';

/** An agent set as the run and the benches give it: a fault's batch (the core's AgentBatch) and what only they choose. */
export interface FleetSpec extends Omit<AgentBatch, 'firstIndex'> {
  /** With relist client-go: the release whose reflector the agents are. */
  client?: AgentClient;
  /** The agents' release (1.33 -> 33): which informers their kind runs (kube-proxy's ServiceCIDRs from 33); `client`'s, else the newest. */
  minor?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Node names are `cpchaos-node-<firstIndex + i>`; by default the next unused indexes. */
  firstIndex?: number;
  /** Worker threads to spread the agents over (1: this thread); by default one per 1,000 agents, at most one per two cores. */
  workers?: number;
  /** Run the agents as shards of a Job on a load cluster instead of in this process. */
  placement?: KubernetesPlacement & { server?: string };
}

/** What sharding a fleet across a load cluster needs of the run. */
export interface ShardingContext {
  /** The run's client on the target: it makes the shards' identity there. */
  client: ApiClient;
  runId: string;
  /** The load cluster context the user typed (--load-cluster): no other is used. */
  consent?: string;
  caPem: string;
  /** The target apiserver as other containers reach it (kind); else placement.server must say. */
  networkServer?: string;
  progress(text: string): void;
  /** A shard failed after it started (its pod failed or was deleted): its agents are gone, and the run cannot be judged. */
  lost?(reason: string): void;
}

/**
 * Past about 1,000 agents one thread, not the apiserver, sets the pace of a storm. Half
 * the cores at most: a local control plane shares the host, and on two cores a second
 * thread only doubled the fleet's memory (bench/README.md).
 */
export function defaultWorkers(count: number): number {
  return Math.max(1, Math.min(Math.floor(os.availableParallelism() / 2), Math.ceil(count / 1000)));
}

/** The connections a plan's agents hold: one each over HTTP/2 (client-go's default), else one per informer. */
function connectionsOf(plan: AgentPlan): number {
  if (plan.relist === 'client-go' && plan.client?.protocol !== 'http1') return plan.agents.length;
  return plan.agents.reduce((sum, agent) => sum + agent.targets.length, 0);
}

/** What the agent says it is, the way client-go's default user agent does ("kubelet/v1.37 (linux/amd64) ..."). */
export function userAgentOf(type: string, minor?: number): string {
  return `${type}/${minor ? `v1.${minor}` : 'v0.0.0'} (linux/amd64) cpchaos`;
}

export function nodeName(index: number): string {
  return `cpchaos-node-${index}`;
}

/**
 * Many simulated node agents in one process, each with its own informers and
 * connections, all reaching the apiserver through `server` (the runner's proxy).
 */
export class Fleet implements AgentFleet {
  readonly stats = new FleetStats();
  /** The TCP sockets of this thread's agents: what a connection drop resets when no relay carries them. */
  readonly sockets: AgentSockets;
  private readonly gate?: HandshakeGate;
  private readonly controller = new AbortController();
  private readonly cancellation = new Cancellation();
  private readonly agent: https.Agent;
  /** Node's HTTP/1.1 agents for the informers of forced relist policies, one per identity besides the load identity's (client-go agents pool their own). */
  private readonly agents = new Map<TlsMaterial, https.Agent>();
  private readonly credentials?: Authorization;
  private identities: AgentIdentities;
  /** Work still running (reflectors, writers); each leaves once settled, so reflectors run again and again do not pile up. */
  private readonly running = new Set<Promise<void>>();
  private informers = new Map<string, number>();
  /** Connections this process's agents hold (in any of its threads), and how many files it may open. */
  private localConnections = 0;
  private fileLimit?: number;
  private readonly workers: FleetWorker[] = [];
  private readonly remotes: { remote: ShardedFleet; shards: number }[] = [];
  private readonly tls: TlsMaterial;
  /** What worker threads need to give agents their identities (set once a plan needs them). */
  private identitySource?: AgentIdentitySource;
  private nextNode = 0;

  constructor(
    private readonly server: string,
    tls: TlsMaterial,
    /** The agent kinds the composition root lists, by type. */
    private readonly kinds: ReadonlyMap<string, AgentKind>,
    /** Where worker threads read the load identity from; without it every agent runs in this thread. */
    private readonly options: {
      identity?: FleetIdentity;
      sharding?: ShardingContext;
      /** `server` is the runner's relay: every connection costs two more sockets there. */
      relayed?: boolean;
      /** Labels on every object the agents create (the run's), so its teardown finds them. */
      labels?: Record<string, string>;
      /**
       * Agents run as who their real counterparts are (AgentKind.identity): a kubelet with a
       * certificate of its node signed by the CA `clientCa` reads (once a kubelet starts), other
       * kinds with ServiceAccount tokens made at start. Without it every agent is the load identity.
       */
      agentIdentities?: { clientCa?: () => Promise<KeyPairPem> };
      /** The process's descriptors for agent sockets, shared with its worker threads (a thread is handed the runner's). */
      socketBudget?: SocketBudget;
      /** At most this many TLS handshakes in flight in each thread (HandshakeGate; default HandshakeGate.defaultLimit); 0, as many as the agents dial. */
      handshakesInFlight?: number;
    } = {},
  ) {
    this.tls = tls;
    this.sockets = new AgentSockets(options.socketBudget ?? processSocketBudget(options.relayed));
    const handshakesInFlight = options.handshakesInFlight ?? HandshakeGate.defaultLimit;
    if (handshakesInFlight > 0) this.gate = new HandshakeGate(handshakesInFlight);
    setMaxListeners(0, this.controller.signal);
    this.controller.signal.addEventListener('abort', () => this.cancellation.stop(), { once: true });
    this.agent = this.newHttpsAgent(tls);
    this.credentials = tls.credentials;
    this.identities = new AgentIdentities(this.loadCredentials());
  }

  /** The TLS handshakes each of the fleet's threads lets be in flight at once (0: no limit). */
  get handshakesInFlight(): number {
    return this.gate?.limit ?? 0;
  }

  /** HTTP/1.1 connections with `tls`, each over a TCP socket of ours that `sockets` can reset. */
  private newHttpsAgent(tls: TlsMaterial): https.Agent {
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: Number.POSITIVE_INFINITY,
      // Node resumes TLS sessions (client-go does not). Full handshakes cost the apiserver no more
      // CPU per relist in bench/fleet, the same runner CPU, and 8 KiB more runner memory per agent.
      secureContext: secureContextOf(tls),
      ...verifyOptions(tls),
    });
    this.trackAgentSockets(agent);
    return agent;
  }

  /**
   * The agents' identities from then on: their nodes' certificates from the source's CA, and its
   * ServiceAccounts' tokens, renewed as they age. A worker thread is handed its fleet's with each plan.
   */
  useIdentities(source: AgentIdentitySource): void {
    this.identitySource = source;
    this.identities = new AgentIdentities(this.loadCredentials(), source, (account) =>
      this.withLoadWire((wire) => requestToken(createOver(wire), agentNamespace, account)),
    );
  }

  private loadCredentials(): AgentCredentials {
    return { tls: this.tls, ...(this.credentials ? { credentials: this.credentials } : {}) };
  }

  /** A connection of the load identity for the fleet's own requests (CRDs, ServiceAccounts), closed after `use`. */
  private async withLoadWire<T>(use: (wire: AgentWire) => Promise<T>): Promise<T> {
    const wire = new Http2Wire(this.server, this.tls, { credentials: this.credentials, cancellation: this.cancellation });
    try {
      return await use(wire);
    } finally {
      wire.close();
    }
  }

  /**
   * The agents' own identities, made with the load identity: the CA, read when a plan first has
   * kubelets, and a ServiceAccount with a token for each account the plans name that has none yet.
   */
  private async prepareIdentities(plans: AgentPlan[]): Promise<void> {
    if (!this.options.agentIdentities) return;
    const readCa = this.options.agentIdentities.clientCa;
    const made = this.identitySource?.serviceAccounts ?? {};
    const byAccount = new Map<string, AgentPlan[]>();
    for (const plan of plans)
      if (plan.identity?.kind === 'service-account' && !(plan.identity.name in made))
        byAccount.set(plan.identity.name, [...(byAccount.get(plan.identity.name) ?? []), plan]);
    let clientCa = this.identitySource?.clientCa;
    if (!clientCa && readCa && plans.some((plan) => plan.identity?.kind === 'node')) clientCa = await readCa();
    if (!byAccount.size && clientCa === this.identitySource?.clientCa) return;
    const accounts = [...byAccount].map(([name, own]) => ({ name, rules: agentRules(own) }));
    const labels = this.options.labels ?? {};
    const serviceAccounts = accounts.length ? { ...made, ...(await this.withLoadWire((wire) => serviceAccountTokens(wire, accounts, labels))) } : made;
    this.useIdentities({ ...(clientCa ? { clientCa } : {}), serviceAccounts });
  }

  /** An HTTP/1.1 agent for `tls`: the fleet's own for the load identity, else one per identity. */
  private httpsAgent(tls: TlsMaterial): https.Agent {
    if (tls === this.tls) return this.agent;
    let agent = this.agents.get(tls);
    if (!agent) {
      agent = this.newHttpsAgent(tls);
      this.agents.set(tls, agent);
    }
    return agent;
  }

  /**
   * Every HTTP/1.1 connection the agent opens goes over a TCP socket of ours, which `sockets` can reset, and is held to
   * client-go's dial deadlines.
   */
  private trackAgentSockets(agent: https.Agent): void {
    type Create = (options: https.RequestOptions & net.TcpNetConnectOpts, callback?: unknown) => net.Socket;
    const agentWithCreate = agent as unknown as { createConnection: Create };
    const create = agentWithCreate.createConnection.bind(agent);
    agentWithCreate.createConnection = (options, callback) => {
      const tcp = net.connect({ host: options.host ?? undefined, port: Number(options.port) });
      const socket = create({ ...options, socket: tcp } as Parameters<Create>[0], callback);
      this.sockets.add(tcp, socket as tls.TLSSocket);
      dialDeadlines(socket as tls.TLSSocket);
      return socket;
    };
  }

  async start(specs: FleetSpec[], signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    const planned = specs.map((spec) => ({ spec, plan: this.plan(spec) }));
    await this.installCrds(new Set(specs.map((spec) => spec.type)));
    await this.prepareIdentities(planned.filter(({ spec }) => !spec.placement).map(({ plan }) => plan));
    this.reserveOpenFiles(planned.filter(({ spec }) => !spec.placement).map(({ plan }) => plan));
    // Every entry at once, each over its own ramp: node i's kubelet, kube-proxy and CNI agent join together, as a
    // node's agents do, rather than the CNI agents of a 5,000-node cluster starting after every kube-proxy has.
    await Promise.all(planned.map(({ spec, plan }) => this.startEntry(spec, plan, signal)));
    this.stats.setLayout(
      this.workers.length,
      this.remotes.reduce((sum, r) => sum + r.shards, 0),
    );
  }

  private async startEntry(spec: FleetSpec, plan: AgentPlan, signal?: AbortSignal): Promise<void> {
    if (spec.placement) return this.startSharded(spec.placement, plan, signal);
    const workers = Math.min(spec.workers ?? defaultWorkers(spec.count), spec.count);
    if (workers <= 1 || !this.options.identity) return this.runPlan(plan);
    await Promise.all(splitPlan(plan, workers).map((part, i) => this.worker(i).start(part, this.identitySource)));
  }

  /** The custom resources the agent kinds watch, made before any of them starts (as their operator would). */
  private async installCrds(types: Set<string>): Promise<void> {
    const labels = this.options.labels ?? {};
    const crds = [...types]
      .flatMap((type) => this.kinds.get(type)?.crds?.() ?? [])
      .map((crd) => ({ ...crd, metadata: { ...(crd.metadata as object), labels } }));
    if (!crds.length) return;
    await this.withLoadWire((wire) => ensureCrds(wire, crds, this.cancellation));
  }

  /** Which nodes the spec's agents are, and what each lists and watches: plain data, so a worker thread can run it. */
  private plan(spec: FleetSpec): AgentPlan {
    const kind = this.kinds.get(spec.type);
    if (!kind) throw new Error(`no agent kind "${spec.type}"`);
    const first = spec.firstIndex ?? this.allocateNodes(spec.count);
    const off = new Set(spec.off ?? []);
    for (const part of off) if (!(part in kind.parts)) throw new Error(`${spec.type} has no part "${part}" (it has ${Object.keys(kind.parts).join(', ')})`);
    const agents = Array.from({ length: spec.count }, (_, i) => {
      const { informers: targets, writes } = kind.model(nodeName(first + i), off, spec.minor ?? spec.client?.minor);
      return { node: nodeName(first + i), targets, writes };
    });
    const informers = agents.reduce((sum, agent) => sum + agent.targets.length, 0);
    this.informers.set(spec.type, (this.informers.get(spec.type) ?? 0) + informers);
    const { type, relist, paginate, rampUpMs } = spec;
    return {
      type,
      ...(kind.identity ? { identity: kind.identity } : {}),
      relist,
      paginate,
      rampUpMs,
      backoff: spec.backoff ?? { initialMs: 800, maxMs: 30_000 },
      agents,
      labels: this.options.labels ?? {},
      ...(spec.client ? { client: spec.client } : {}),
    };
  }

  /** Starts a plan's agents in this thread, evenly over its ramp-up. */
  async runPlan(plan: AgentPlan): Promise<void> {
    // Every agent's credentials at once, before the first starts: a kubelet's certificate is a chain of
    // WebCrypto calls, each waiting its turn on a busy event loop, and made one by one inside the ramp
    // they set its pace (beside 15,000 agents a kubelet started every 120 ms against a gap of 60 ms).
    const credentials = await Promise.all(plan.agents.map(({ node }) => this.identities.of(plan.identity, node)));
    const gapMs = plan.agents.length > 1 ? plan.rampUpMs / plan.agents.length : 0;
    const rampStart = Date.now();
    for (const [index, { targets, writes }] of plan.agents.entries()) {
      if (this.controller.signal.aborted) return;
      const who = credentials[index]!;
      const wire = plan.relist === 'client-go' ? this.startClientGoAgent(plan, targets, who) : this.startForcedAgent(plan, targets, plan.relist, who);
      if (writes.length) {
        const writer = new AgentWriter({
          wire: wire(),
          agentType: plan.type,
          stats: this.stats,
          cancellation: this.cancellation,
          labels: plan.labels,
          closeOnHeartbeatFailure: plan.relist === 'client-go' && plan.client?.protocol !== 'http1' ? 'idle' : 'all',
        });
        this.track(writer.run(writes));
      }
      this.stats.agentStarted(plan.type);
      // Each start is due at its place on the clock, not a gap after the last: under a busy event loop every
      // timer fires late, and 5,000 late gaps stretched a 300 s ramp past 600 s. Behind, the next starts at once.
      const dueMs = rampStart + (index + 1) * gapMs - Date.now();
      if (dueMs > 0) await sleep(dueMs, this.controller.signal).catch(() => undefined);
    }
  }

  /** One agent as its client-go release runs it: one connection carrying a reflector per informer, and its writes. */
  private startClientGoAgent(plan: AgentPlan, targets: AgentPlan['agents'][number]['targets'], who: AgentCredentials): () => AgentWire {
    const client = plan.client;
    if (!client) throw new Error('a client-go agent set needs its client model');
    const options = { credentials: who.credentials, cancellation: this.cancellation, userAgent: userAgentOf(plan.type, client.minor) };
    const wire: AgentWire =
      client.protocol === 'http1'
        ? new Http1Wire(this.server, who.tls, {
            ...options,
            sockets: this.sockets,
            onDial: () => this.stats.connectionDialled(plan.type, false),
            onDialEnded: (outcome) => this.stats.dialEnded(plan.type, outcome, false),
          })
        : new Http2Wire(this.server, who.tls, {
            ...options,
            sockets: this.sockets,
            ...(this.gate ? { gate: this.gate } : {}),
            onDial: (spare) => this.stats.connectionDialled(plan.type, spare),
            onSpareWithheld: () => this.stats.spareWithheld(plan.type),
            onDialEnded: (outcome, spare) => this.stats.dialEnded(plan.type, outcome, spare),
          });
    const reflector = (target: InformerTarget, agentType: string, cancellation: Cancellation, more: Pick<ReflectorOptions, 'objects' | 'resumeFrom'> = {}) => {
      const backoff = new ClientGoBackoff(plan.backoff.initialMs, plan.backoff.maxMs);
      return new Reflector({ target, wire, model: client, backoff, agentType, stats: this.stats, cancellation, ...more });
    };
    for (const target of targets) {
      const objects = target.podObjects
        ? this.podObjectWatches((objectTarget, cancellation, more) => reflector(objectTarget, podObjectsType(plan.type), cancellation, more))
        : undefined;
      this.track(reflector(target, plan.type, this.cancellation, objects ? { objects } : {}).run());
    }
    return () => wire;
  }

  /** The Secret and ConfigMap watches an agent's pods call for: each a reflector of its own, stopped on its own or with the fleet. */
  private podObjectWatches(
    reflector: (target: InformerTarget, cancellation: Cancellation, more: Pick<ReflectorOptions, 'objects' | 'resumeFrom'>) => Reflector,
  ): PodObjectWatches {
    const watches = new PodObjectWatches((target, objects, resumeFrom) => {
      const cancellation = new Cancellation();
      const unhook = this.cancellation.onStop(() => cancellation.stop());
      const running = reflector(target, cancellation, { objects, ...(resumeFrom !== undefined ? { resumeFrom } : {}) });
      this.track(running.run());
      return {
        stop: () => {
          unhook();
          cancellation.stop();
        },
        lastSynced: () => running.lastSynced,
      };
    });
    this.cancellation.onStop(() => watches.stop());
    return watches;
  }

  /** One agent of a forced relist policy: an informer per target, each relisting on every break; its writes go over HTTP/1.1 too. */
  private startForcedAgent(plan: AgentPlan, targets: AgentPlan['agents'][number]['targets'], policy: RelistPolicy, who: AgentCredentials): () => AgentWire {
    const agent = this.httpsAgent(who.tls);
    for (const target of targets) {
      const informer = new Informer(target, {
        server: this.server,
        agent,
        credentials: who.credentials,
        agentType: plan.type,
        userAgent: userAgentOf(plan.type),
        policy,
        paginate: plan.paginate,
        backoff: plan.backoff,
        stats: this.stats,
        cancellation: this.cancellation,
      });
      this.track(informer.run());
    }
    return () =>
      new Http1Wire(this.server, who.tls, {
        credentials: who.credentials,
        cancellation: this.cancellation,
        userAgent: userAgentOf(plan.type),
        sockets: this.sockets,
      });
  }

  private track(work: Promise<void>): void {
    const settled = work.finally(() => this.running.delete(settled));
    this.running.add(settled);
  }

  /** Worker threads running agents (0: every agent runs in this thread). */
  get workerThreads(): number {
    return this.workers.length;
  }

  /** The plan's agents as shards of an Indexed Job on the load cluster; resolves once every shard runs all of its agents. */
  private async startSharded(placement: NonNullable<FleetSpec['placement']>, plan: AgentPlan, signal?: AbortSignal): Promise<void> {
    const sharding = this.options.sharding;
    if (!sharding) throw new Error('agents with a placement need the run (its client on the target) to start them');
    if (sharding.consent !== placement.context) throw new Error(`sharded agents on "${placement.context}" need --load-cluster ${placement.context}`);
    const server = placement.server ?? sharding.networkServer;
    if (!server) throw new Error('agents[].placement.kubernetes.server: say how the load cluster reaches the target apiserver');
    const plans = splitPlan(plan, placement.shards);
    const token = await agentToken(sharding.client, shardsName(sharding.runId), plans);
    const remote = new ShardedFleet(placement, sharding.runId, this.stats, sharding.progress, sharding.lost);
    this.remotes.push({ remote, shards: plans.length });
    await remote.deploy(plans, { server, caPem: sharding.caPem, token }, this.handshakesInFlight, signal);
    await remote.waitStarted(plans.length, 300_000 + plan.rampUpMs, signal);
  }

  /** Resets a fraction of the agents' connections in this process, every thread's, with an RST; how many were open and reset. */
  async resetConnections(fraction: number): Promise<ConnectionsReset> {
    const here = { open: this.sockets.count, reset: this.sockets.reset(fraction) };
    const threads = await Promise.all(this.workers.map((worker) => worker.resetConnections(fraction)));
    return threads.reduce((sum, part) => ({ open: sum.open + part.open, reset: sum.reset + part.reset }), here);
  }

  /** Resets the connections of every sharded agent at one instant; how many, and how far apart the shards did it. */
  async dropSharded(fraction: number): Promise<{ dropped: number; skewMs: number } | undefined> {
    if (!this.remotes.length) return undefined;
    const results = await Promise.all(this.remotes.map(({ remote, shards }) => remote.drop(fraction, shards)));
    return { dropped: results.reduce((sum, r) => sum + r.dropped, 0), skewMs: Math.max(...results.map((r) => r.skewMs)) };
  }

  private worker(index: number): FleetWorker {
    while (this.workers.length <= index)
      this.workers.push(
        new FleetWorker(
          {
            server: this.server,
            serverName: this.tls.serverName,
            identity: this.options.identity!,
            ...(this.sockets.budget ? { socketBudget: this.sockets.budget } : {}),
            handshakesInFlight: this.handshakesInFlight,
          },
          this.stats,
        ),
      );
    return this.workers[index]!;
  }

  /**
   * Each agent holds connections (one over HTTP/2, one per watch over HTTP/1.1), and through
   * the runner's relay two more sockets each: past the process's file limit agents fail with
   * EMFILE and never sync. Said at once, with what to do, rather than after five minutes of
   * failed LISTs. Worker threads share the process's limit, so they count too.
   */
  private reserveOpenFiles(inProcess: AgentPlan[]): void {
    const connections = inProcess.reduce((sum, plan) => sum + connectionsOf(plan), 0);
    const perConnection = filesPerConnection(this.options.relayed);
    const needed = (this.localConnections + connections) * perConnection + reservedFiles;
    this.fileLimit ??= openFilesLimit() ?? Number.POSITIVE_INFINITY;
    if (needed > this.fileLimit)
      throw new InfrastructureError(
        `${connections} more agent connections need about ${needed} open files here (${this.options.relayed ? "a socket each, two more through the runner's relay" : 'a socket each'}), and this process may open ${this.fileLimit} (ulimit -n): raise the limit, or run the agents on a load cluster (agents[].placement)`,
      );
    this.localConnections += connections;
    this.sockets.reserve(connections);
  }

  /** Reserves `count` node indexes no agent or joined node uses yet; returns the first. */
  allocateNodes(count: number): number {
    const first = this.nextNode;
    this.nextNode += count;
    return first;
  }

  /** Work that lasts as long as the fleet (lease renewals of joined nodes); stopped with it. */
  background(task: (signal: AbortSignal) => Promise<void>): void {
    this.track(task(this.controller.signal).catch(() => undefined));
  }

  /** True once every informer has finished its first LIST (or its WatchList's initial events). */
  synced(): boolean {
    for (const [type, count] of this.informers) {
      const stats = this.stats.byType.get(type);
      if (!stats || stats.lists - stats.relists < count) return false;
    }
    return true;
  }

  /** A copy of what each agent type has asked so far, by request class ("WATCH rv=last-synced", "LIST rv=0 limit=500", ...). */
  requestCounts(): Map<string, Map<string, number>> {
    return new Map([...this.stats.byType].map(([type, stats]) => [type, new Map(stats.requests)]));
  }

  /** True while every informer holds an open watch: no agent is in backoff, listing or reconnecting. */
  watching(): boolean {
    for (const [type, count] of this.informers) {
      if ((this.stats.byType.get(type)?.openWatches ?? 0) < count) return false;
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
    await Promise.all(this.workers.map((worker) => worker.stop()));
    await Promise.all(this.remotes.map(({ remote, shards }) => remote.stop(shards)));
    this.agent.destroy();
    for (const agent of this.agents.values()) agent.destroy();
    await Promise.allSettled(this.running);
  }
}

/** Descriptors the runner keeps for what is not an agent's connection: its own clients, the sinks, logs. */
const reservedFiles = 1_000;

/** A connection is a socket, and through the runner's relay two more. */
const filesPerConnection = (relayed?: boolean) => (relayed ? 3 : 1);

/** The agent sockets this process can open besides what it keeps for itself; none to count under no limit. */
function processSocketBudget(relayed?: boolean): SocketBudget | undefined {
  const limit = openFilesLimit();
  return limit === undefined ? undefined : socketBudget(Math.max(0, Math.floor((limit - reservedFiles) / filesPerConnection(relayed))));
}
