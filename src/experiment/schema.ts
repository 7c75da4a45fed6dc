import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { Count, CrdShapeParam, Duration, Name, PositiveInt, Size, Strict } from './schema-parts.js';
import { defaultKubernetesVersion, oldestKubernetesVersion } from '../binaries/versions.js';

/**
 * The experiment schema is built from the plugins the composition root lists (their
 * names become the allowed values of `provider`, `faults[].type`, `builtin`, `agents[].type`),
 * so this file knows no plugin. The static types below see those keys as strings.
 */
export interface SchemaPlugins {
  providers: readonly { name: string; description: string; schema?: TProperties }[];
  faults: readonly { type: string; schema: TObject }[];
  hypotheses: readonly { name: string; schema: TObject }[];
  agents: readonly { type: string; description: string; parts: Readonly<Record<string, string>> }[];
  /** A sink with settings has them under `metrics.<name>`. */
  sinks: readonly { name: string; schema?: TSchema }[];
}

const Literals = (values: readonly string[], options: { description?: string } = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );
const described = (entries: readonly { name: string; description: string }[], fallback = '') =>
  entries.map((e) => `${e.name}: ${e.description}`).join('; ') + fallback;

export const apiVersion = 'cpchaos.io/v1alpha1';

/** The `cluster:` keys any provider may take; each provider adds its own (kind's controlPlanes, ...). */
const sharedClusterKeys = {
  kubernetesVersion: Type.Optional(
    Type.String({
      pattern: '^v\\d+\\.\\d+\\.\\d+$',
      description: `from ${oldestKubernetesVersion} to ${defaultKubernetesVersion} (the default), each minor with the etcd it is released with`,
    }),
  ),
  etcdVersion: Type.Optional(Type.String({ pattern: '^v\\d+\\.\\d+\\.\\d+$' })),
  components: Type.Optional(Type.Array(Type.Union([Type.Literal('controller-manager'), Type.Literal('scheduler')]), { uniqueItems: true })),
  memoryLimits: Type.Optional(
    Strict(
      { etcd: Type.Optional(Size()), apiserver: Type.Optional(Size()), 'controller-manager': Type.Optional(Size()), scheduler: Type.Optional(Size()) },
      { description: "cgroup memory limit per component (local: the process's own cgroup; kind: the static pod's memory limit, set by the kubelet)" },
    ),
  ),
  apiserverArgs: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'extra kube-apiserver flags without dashes' })),
  featureGates: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9]+$' }), Type.Boolean())),
  etcdUnsafeNoFsync: Type.Optional(Type.Boolean({ description: 'faster etcd, never for experiments that measure etcd' })),
  restartOnExit: Type.Optional(Type.Boolean({ description: 'restart a component that exits, as a kubelet restarts a static pod (default true)' })),
};

export const sharedClusterSettings = Object.keys(sharedClusterKeys);

const clusterSchema = (providers: SchemaPlugins['providers']) =>
  Strict(
    {
      provider: Type.Optional(
        Literals(
          providers.map((p) => p.name),
          { description: described(providers) },
        ),
      ),
      ...sharedClusterKeys,
      ...(Object.assign({}, ...providers.map((p) => p.schema ?? {})) as TProperties),
    },
    { description: 'the control plane to create' },
  );

/** A provider's own `cluster:` keys, typed by its schema; the shared ones typed here. */
export type ClusterConfig = Static<ReturnType<typeof Strict<typeof sharedClusterKeys>>> & { provider?: string } & Record<string, unknown>;

export const seedKinds = ['pods', 'configmaps', 'secrets', 'namespaces', 'deployments', 'services', 'crds', 'customresources'] as const;

export const SeedSetSchema = Strict({
  name: Type.Optional(Name('name of the object set; objects are named <name>-<index> (default: the kind)')),
  kind: Type.Union(seedKinds.map((k) => Type.Literal(k))),
  count: Count('how many objects'),
  namespace: Type.Optional(Name('namespace for namespaced kinds (default cpchaos-seed)')),
  namespaces: Type.Optional(PositiveInt('spread over this many namespaces <namespace>-0..N-1', 10_000)),
  dataSize: Type.Optional(Size('configmaps and secrets: bytes of data per object (default 1Ki)')),
  replicas: Type.Optional(Count('deployments: replicas (default 1)')),
  groups: Type.Optional(PositiveInt('crds: spread the definitions over this many API groups (default 1)', 1_000)),
  crdSet: Type.Optional(Name('customresources: the name of the crds set whose kinds to create')),
  crdSchema: Type.Optional(
    CrdShapeParam(
      'crds: small (default; 3 fields) or provider (two versions of a 105 KB, 514-property, 7-deep schema, the size of a large cloud-provider managed resource)',
    ),
  ),
  sizes: Type.Optional(
    Strict(
      {
        min: Count('bytes', 3_145_728),
        p50: Count('bytes', 3_145_728),
        p90: Count('bytes', 3_145_728),
        p99: Count('bytes', 3_145_728),
        max: Count('bytes', 3_145_728),
      },
      {
        description:
          'pad objects (a configmap in its data, others in an annotation) so that their JSON as the apiserver serves it follows these quantiles, in bytes; cpchaos profile writes them',
      },
    ),
  ),
  qps: Type.Optional(Type.Number({ minimum: 0, description: 'target create rate; 0 = as fast as concurrency allows (default 100)' })),
  concurrency: Type.Optional(PositiveInt('requests in flight at most (default 20)', 10_000)),
  template: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'object template; "{{index}}", "{{set}}" (and with onAgentNodes "{{node}}") are replaced' }),
  ),
  onAgentNodes: Type.Optional(
    Type.Boolean({
      description:
        "pods: bound (spec.nodeName) to the nodes of the experiment's agents, round-robin, as a scheduler would: their kubelets and CNI agents list and watch them, and each kubelet the Secrets and ConfigMaps they name",
    }),
  ),
  templateFile: Type.Optional(Type.String({ description: 'YAML object template file, relative to the experiment file' })),
});

const agentsSchema = (agents: SchemaPlugins['agents']) =>
  Strict({
    type: Literals(
      agents.map((a) => a.type),
      { description: described(agents.map((a) => ({ name: a.type, description: a.description }))) },
    ),
    count: PositiveInt('how many agents (one simulated node each)', 100_000),
    relist: Type.Optional(
      Type.Union([Type.Literal('quorum'), Type.Literal('cache'), Type.Literal('streaming')], {
        description:
          'force what older or misbehaving clients do, a relist on every broken watch: quorum (LIST without resourceVersion), cache (resourceVersion=0) or streaming (WatchList); unset (default): the reflector of the client release (client.version)',
      }),
    ),
    client: Type.Optional(
      Strict({
        version: Type.Optional(
          Type.String({
            pattern: '^v?1\\.(3[1-9])(\\.\\d+)?$',
            description: "the client-go release the agents behave as, e.g. 1.33 (default: the cluster's minor)",
          }),
        ),
        protocol: Type.Optional(
          Type.Union([Type.Literal('http2'), Type.Literal('http1')], {
            description: "http2 (default): one connection per agent for all its informers; http1: a connection per watch (client-go's DISABLE_HTTP2)",
          }),
        ),
        watchList: Type.Optional(Type.Boolean({ description: 'WatchListClient (default: on from client-go 1.35)' })),
        protobuf: Type.Optional(Type.Boolean({ description: 'ask protobuf for built-in kinds, as the kubelet, kube-proxy and cilium do (default true)' })),
      }),
    ),
    parts: Type.Optional(
      Type.Record(Type.String(), Type.Boolean(), {
        description: `switch parts of the agent off (false) or on (true, the default); ${agents.map((a) => `${a.type}: ${Object.keys(a.parts).join(', ')}`).join('; ')}`,
      }),
    ),
    paginate: Type.Optional(Type.Boolean({ description: 'LIST with limit=500 and continue tokens (default false)' })),
    rampUp: Type.Optional(Duration('start the agents evenly over this long (default 10s); every entry starts at once, over its own rampUp')),
    backoff: Type.Optional(Strict({ initial: Duration('first backoff after a broken watch (default 800ms)'), max: Duration('longest backoff (default 30s)') })),
    workers: Type.Optional(
      PositiveInt('worker threads the agents are spread over (default: one per 1,000 agents, at most one per two cores; 1: the runner thread)', 64),
    ),
    placement: Type.Optional(
      Strict(
        {
          kubernetes: Strict({
            context: Type.String({
              minLength: 1,
              description: 'the load cluster: its exact kubeconfig context; the run also needs --load-cluster <the same context>',
            }),
            kubeconfig: Type.Optional(Type.String({ minLength: 1, description: 'default $KUBECONFIG, else ~/.kube/config' })),
            namespace: Type.Optional(
              Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'where the Job runs (default cpchaos-load)' }),
            ),
            shards: PositiveInt('pods of the Indexed Job the agents are dealt over', 1_000),
            server: Type.Optional(
              Type.String({
                pattern: '^https://',
                description: "the target apiserver as the load cluster's pods reach it (default: a kind target's address on its Docker network)",
              }),
            ),
            image: Type.Optional(
              Type.String({
                minLength: 1,
                description: 'an image of cpchaos the load cluster can pull (see Dockerfile); default: built here and loaded into kind nodes',
              }),
            ),
          }),
        },
        { description: 'run the agents as shards of an Indexed Job on a load cluster instead of in the runner' },
      ),
    ),
  });

export const windows = Type.Union([Type.Literal('before'), Type.Literal('during'), Type.Literal('after'), Type.Literal('whole')], {
  description: 'before: steady state; during: from the first fault to the end of observation; after: after recovery; whole: the run',
});

export const aggregates = ['max', 'min', 'avg', 'p50', 'p90', 'p99', 'last', 'increase', 'rate'] as const;
export const comparators = ['<', '<=', '>', '>=', '==', '!='] as const;

const MetricHypothesis = Strict({
  name: Type.String({ minLength: 1 }),
  metric: Type.Optional(Type.String({ pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$', description: 'a Prometheus metric name, or cpchaos_* for the runner' })),
  promql: Type.Optional(
    Type.String({ minLength: 1, maxLength: 4096, description: "instead of metric: a PromQL expression, evaluated by the user's Prometheus every interval" }),
  ),
  prometheus: Type.Optional(Type.String({ pattern: '^https?://', description: 'with promql: the Prometheus URL (default metrics.prometheus)' })),
  labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'label matchers; a value in /slashes/ is a regular expression' })),
  sumBy: Type.Optional(Type.Boolean({ description: 'add the matching series together at each time before aggregating (default true)' })),
  aggregate: Type.Union(aggregates.map((a) => Type.Literal(a))),
  window: Type.Optional(windows),
  comparator: Type.Union(comparators.map((c) => Type.Literal(c))),
  threshold: Type.Union([Type.Number(), Type.String({ format: 'quantity' })], {
    description: 'a number, a size (512Mi, 2Gi) or a duration in seconds (500ms, 2s)',
  }),
  absentAsZero: Type.Optional(
    Type.Boolean({
      description: 'no matching samples count as 0 (for counters that only appear once something happens, like 5xx codes); default false: no data deviates',
    }),
  ),
});

/** A built-in hypothesis's common keys; its own keys are checked against its file's schema by `builtin`. */
const builtinBase = (hypotheses: SchemaPlugins['hypotheses']) =>
  Type.Object({ name: Type.String({ minLength: 1 }), builtin: Literals(hypotheses.map((h) => h.name)) }, { additionalProperties: true });

/** A fault's common keys; its own keys are checked against its file's schema by `type`. */
const faultBase = (faults: SchemaPlugins['faults']) =>
  Type.Object(
    {
      type: Literals(faults.map((f) => f.type)),
      name: Type.Optional(Type.String()),
      at: Type.Optional(Duration('start this long after injection begins (default 0s)')),
    },
    { additionalProperties: true },
  );

function byDiscriminator(key: string, cases: { value: string; schema: TSchema }[]): Record<string, unknown>[] {
  return cases.map(({ value, schema }) => ({ if: { properties: { [key]: { const: value } }, required: [key] }, then: schema }));
}

const faultSchema = (faults: SchemaPlugins['faults']) =>
  Type.Unsafe<Static<ReturnType<typeof faultBase>>>({
    ...faultBase(faults),
    allOf: byDiscriminator(
      'type',
      faults.map((f) => ({ value: f.type, schema: f.schema })),
    ),
  });

const hypothesisSchema = (hypotheses: SchemaPlugins['hypotheses']) =>
  Type.Unsafe<Static<typeof MetricHypothesis> | BuiltinHypothesisSpec>({
    type: 'object',
    if: { required: ['builtin'] },
    then: {
      ...builtinBase(hypotheses),
      allOf: byDiscriminator(
        'builtin',
        hypotheses.map((h) => ({ value: h.name, schema: h.schema })),
      ),
    },
    else: MetricHypothesis,
  });

export const experimentSchema = (plugins: SchemaPlugins) =>
  Strict(
    {
      apiVersion: Type.Literal(apiVersion),
      kind: Type.Literal('Experiment'),
      metadata: Strict({ name: Name('experiment name'), description: Type.Optional(Type.String()) }),
      cluster: Type.Optional(clusterSchema(plugins.providers)),
      seed: Type.Optional(Type.Array(SeedSetSchema)),
      steadyState: Type.Optional(Strict({ duration: Duration('how long to observe before the faults (default 5s)') })),
      agents: Type.Optional(
        Type.Array(agentsSchema(plugins.agents), {
          description:
            "simulated node agents, started after seeding, each dialling the apiserver over its own connection (through the runner's relay when a fault needs latency or a blackhole)",
        }),
      ),
      faults: Type.Optional(Type.Array(faultSchema(plugins.faults))),
      observe: Type.Optional(Duration('how long to observe from the start of the faults (default: until the last fault ends, at least 10s)')),
      observeAgents: Type.Optional(
        Duration(
          'then go on observing until every agent informer is watching again, at most this long (default: no wait); counts that follow a storm do not then hang on its backoff',
        ),
      ),
      agentHandshakesInFlight: Type.Optional(
        Count(
          "at most this many TLS handshakes of HTTP/2 agents in flight at once in each of the runner's threads and each shard (default 200; 0: no limit). Real nodes each handshake on their own CPU; one runner thread starting thousands at once finishes many too late for the apiserver, which counts them failed, and the agents dial again. With a starved apiserver 200 gives a storm a little gentler than client-go's and 0 one closer to it, with failed handshakes as client-go's has (bench/README.md): run both as variants to see the difference",
          100_000,
        ),
      ),
      recovery: Type.Optional(
        Strict({
          timeout: Type.Optional(Duration('how long to wait for the apiserver to be ready after the faults (default 60s)')),
          observe: Type.Optional(Duration('how long to keep recording once it is ready: the "after" window (default 2s)')),
        }),
      ),
      hypotheses: Type.Array(hypothesisSchema(plugins.hypotheses), { minItems: 1 }),
      variants: Type.Optional(
        Type.Array(
          Strict({
            name: Name('variant name; its run goes to results/<run-id>/<name>'),
            description: Type.Optional(Type.String()),
            set: Type.Record(Type.String({ pattern: '^[A-Za-z][\\w-]*(\\[\\d+\\])*(\\.[A-Za-z][\\w-]*(\\[\\d+\\])*)*$' }), Type.Unknown(), {
              description: 'values to change, by path: { "faults[0].resourceVersion": "0", "cluster.featureGates.WatchList": true }',
            }),
          }),
          { minItems: 1, description: 'run the experiment once per variant, each on a fresh cluster, and compare them side by side' },
        ),
      ),
      metrics: Type.Optional(
        Strict({
          interval: Type.Optional(Duration('recording interval (default 1s)')),
          include: Type.Optional(Type.Array(Type.String(), { description: 'extra /metrics names to record (regular expressions)' })),
          prometheus: Type.Optional(Type.String({ pattern: '^https?://', description: 'the Prometheus URL promql hypotheses query by default' })),
          ...Object.fromEntries(plugins.sinks.filter((k) => k.schema).map((k) => [k.name, Type.Optional(k.schema!)])),
        }),
      ),
    },
    { $id: 'https://cpchaos.io/schemas/experiment-v1alpha1.json', title: 'cpchaos experiment' },
  );

export type SeedSet = Static<typeof SeedSetSchema>;
export type AgentsSpec = Static<ReturnType<typeof agentsSchema>>;
export type MetricHypothesisSpec = Static<typeof MetricHypothesis>;
export type BuiltinHypothesisSpec = Static<ReturnType<typeof builtinBase>> & Record<string, unknown>;
export type HypothesisSpec = MetricHypothesisSpec | BuiltinHypothesisSpec;
export type FaultSpec = Static<ReturnType<typeof faultBase>> & Record<string, unknown>;
/** `metrics:`: the recording settings, and each sink's own under its name (typed by the sink). */
export type MetricsConfig = { interval?: string; include?: string[]; prometheus?: string } & Record<string, unknown>;
export type Experiment = Omit<Static<ReturnType<typeof experimentSchema>>, 'cluster' | 'faults' | 'hypotheses' | 'metrics'> & {
  cluster?: ClusterConfig;
  faults?: FaultSpec[];
  hypotheses: HypothesisSpec[];
  metrics?: MetricsConfig;
};
