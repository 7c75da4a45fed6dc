import type { TObject, TProperties, TSchema } from '@sinclair/typebox';
import type { ApiAccess } from './access.js';
import type { Cluster, ClusterProvider } from './cluster.js';
import type { BuiltinHypothesisSpec, ClusterConfig, Experiment } from '../experiment/schema.js';
import type { ApiClient } from './api-client.js';
import type { AgentFleet } from './agent-fleet.js';
import type { SeededSet } from './seeded.js';
import type { EvaluationContext, Verdict } from './hypothesis.js';
import type { AgentIdentity, AgentModel } from './agent-model.js';
import type { Sink } from './sample.js';
import type { SampleSource, Scraper } from './scraper.js';

/**
 * What a cluster lets a run do beyond the Kubernetes API. Plugins say what they need,
 * providers what they have, so no code compares provider names.
 * - processes: the control plane's processes and memory cgroups are on this machine
 *   (kill, pause, cgroup limits, OOM kills seen, /proc and cgroup samples).
 * - node-containers: the control-plane nodes are containers here (kind): pause a node, restart its load balancer.
 */
export type Capability = 'processes' | 'node-containers';

/** The agents' connections as a load balancer in front of the apiserver sees them. */
export interface AgentConnections {
  /** The agents' bytes pass the runner's relay: only then can they be slowed or swallowed. */
  readonly relayed: boolean;
  /** Resets a fraction of the connections of the agents in this process at once, with an RST as a load balancer failover sends. */
  reset(fraction: number): Promise<{ open: number; reset: number }>;
  /** Delays every chunk either way by `ms` (relayed only). */
  setLatency(ms: number): void;
  /** While on, swallows every byte and hangs new connections; turning it off resets what it swallowed (relayed only). */
  setBlackhole(on: boolean): void;
}

/** What a fault works with. */
export interface FaultContext {
  cluster: Cluster;
  /** The runner's client: every request it makes is counted in the cpchaos_client_* series. */
  client: ApiClient;
  /** A client of the fault's own (its own connections and protocol), counted in the same series. */
  newClient(options: { protocol: 'http1' | 'http2'; maxSockets?: number }): Promise<ApiClient>;
  seeded: SeededSet[];
  /** The simulated agents' connections to the apiserver, as a load balancer in front of it acts on them. */
  connections: AgentConnections;
  /** The simulated node agents (empty unless the experiment has agents or a fault adds some). */
  fleet: AgentFleet;
  /** Aborted on Ctrl-C: a fault must stop promptly and return. */
  signal: AbortSignal;
  event(type: string, message: string, extra?: Record<string, unknown>): void;
}

/** A problem in an experiment, at a path inside it; the loader adds file:line:column. */
export interface Problem {
  path: (string | number)[];
  message: string;
}

/** A fault is one file: its parameters' schema (checked when the experiment is loaded) and `run`, which injects it and returns when it is over. */
export interface FaultPlugin<P = Record<string, unknown>> {
  type: string;
  description: string;
  schema: TObject;
  needs?: Capability[];
  /** True when it acts on the agents' bytes (latency, a blackhole): the agents then reach the apiserver through the runner's relay. */
  relay?(params: P): boolean;
  /** What it asks of the API on a cluster it does not own: the RBAC of a scheduled run. Absent: it cannot run there. */
  access?(params: P): ApiAccess[];
  // Method syntax on purpose: each fault's own params type still fits the registry's list.
  run(params: P, context: FaultContext): Promise<void>;
}

/** A built-in hypothesis (`builtin: <name>`): judged from the run's journal, not from one metric. */
export interface HypothesisPlugin<S = BuiltinHypothesisSpec> {
  name: string;
  description: string;
  /** Its entry's keys: name, builtin and its own (builtinSchema). */
  schema: TObject;
  /** Judged before the faults too: a run that already deviates there is not in steady state. */
  steadyState?: boolean;
  needs?: Capability[];
  /** Cross-field rules the schema cannot say; paths are relative to the hypothesis entry. */
  validate?(spec: S, experiment: Experiment): Problem[];
  /** What must be recorded for it beyond the defaults: series from /metrics, or questions for the user's Prometheus. */
  recording?(spec: S, experiment: Experiment): Recording;
  evaluate(spec: S, context: EvaluationContext): Verdict;
}

/** A PromQL expression asked of a Prometheus at every sample time, its answers recorded as `metric` labelled with the hypothesis. */
export interface PromqlQuery {
  prometheus: string;
  expression: string;
  hypothesis: string;
  /** The series name its answers are recorded under (default cpchaos_promql). */
  metric?: string;
  /** Record an answer series only when its value changed (counters with many series: histogram buckets). */
  changesOnly?: boolean;
}

/** What the experiment's hypotheses need recorded: metric names (regular expressions) from /metrics, and PromQL questions. */
export interface Recording {
  metrics?: string[];
  promql?: PromqlQuery[];
}

export interface ProviderOptions {
  /** Labels what a run creates on a cluster it does not own. */
  runId: string;
  /** The user's consent to act on an existing cluster: its exact context (--target-existing). */
  targetExisting?: string;
  /** The resources the run may create objects of: on a cluster it does not own, its teardown lists these and no others. */
  creates?: string[];
}

/** Where a control plane comes from: processes here, kind, a cluster someone already runs. */
export interface ProviderPlugin<C = ClusterConfig> {
  name: string;
  description: string;
  /** Its own `cluster:` keys (kind's controlPlanes, ...), added to the cluster schema. */
  schema?: TProperties;
  /** The shared `cluster:` keys it takes (kubernetesVersion, memoryLimits, ...). */
  settings: readonly string[];
  capabilities: readonly Capability[];
  /** Cross-field rules; paths are relative to the experiment. */
  validate?(cluster: C): Problem[];
  /** Throws a UsageError unless the user consented to what this provider touches; before anything starts. */
  checkConsent?(cluster: C, targetExisting: string | undefined): void;
  create(cluster: C, options: ProviderOptions): ClusterProvider;
}

/** What a sink is made from: one run's identity and folder. */
export interface SinkContext {
  runId: string;
  dir: string;
  experiment: Experiment;
  variant?: string;
  /** The sink's settings: `metrics.<name>` of the experiment, or what the command line gave instead. */
  config: unknown;
  log(line: string): void;
}

/** Where samples and events go besides memory; undefined when the experiment does not ask for it. */
export interface SinkPlugin {
  name: string;
  /** Its settings under `metrics.<name>`, if it has any. */
  schema?: TSchema;
  create(context: SinkContext): Sink | undefined;
}

export interface ScraperContext {
  cluster: Cluster;
  experiment: Experiment;
  /** What the built-in hypotheses asked to be recorded. */
  recording: Required<Recording>;
  /** The runner's client's requests (cpchaos_client_*). */
  stats: SampleSource;
  /** The simulated agents' lists, watches and bytes (cpchaos_fleet_*). */
  fleet: SampleSource;
}

/** Sources of samples read once per recording interval; none where the cluster cannot feed them. */
export interface ScraperPlugin {
  name: string;
  /** What it reads through the API (the apiserver's /metrics, ...), for a scheduled run's RBAC. */
  access?: ApiAccess[];
  create(context: ScraperContext): Scraper[];
}

/** A kind of node agent (`agents[].type`): what it watches and writes for its node, modelled on its real counterpart. */
export interface AgentKindPlugin {
  type: string;
  description: string;
  /** What a user may switch off (`agents[].parts.<name>: false`), each with what it is; all on unless said. */
  parts: Readonly<Record<string, string>>;
  /** What the agent of `node` lists, watches and writes; `minor` is its release (1.33 -> 33), the newest when not said. */
  model(node: string, off: ReadonlySet<string>, minor?: number): AgentModel;
  /** CustomResourceDefinitions it watches, installed before the agents start (as an operator would). */
  crds?(): Record<string, unknown>[];
  /** Who it is to the apiserver where the cluster lets the runner say so; else it runs as the load identity. */
  identity?: AgentIdentity;
}

/** Everything the composition root lists; the core never imports a plugin. */
export interface Plugins {
  faults: FaultPlugin[];
  hypotheses: HypothesisPlugin[];
  providers: ProviderPlugin[];
  sinks: SinkPlugin[];
  scrapers: ScraperPlugin[];
  agents: AgentKindPlugin[];
}
