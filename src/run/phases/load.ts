import type { AgentsSpec } from '../../experiment/schema.js';
import type { FleetSpec } from '../../load/fleet.js';
import type { AgentClient } from '../../load/fleet-workers.js';
import { clientModel } from '../../load/agents/reflector.js';
import { seed } from '../../load/seed.js';
import { defaultKubeconfig } from '../../util/kubeconfig-path.js';
import { parseDuration } from '../../units.js';
import type { RunContext } from '../context.js';
import { nodeName } from '../../load/fleet.js';
import { agentNodeCount, firstNodes } from '../agent-nodes.js';

/** The experiment's agent nodes in the fleet: allocated once, by the first phase that needs them. */
function agentNodesBase(run: RunContext): number {
  const { state } = run;
  state.agentNodes ??= state.environment!.fleet.allocateNodes(agentNodeCount(state.experiment.agents ?? []));
  return state.agentNodes;
}

/** seed: the experiment's object sets, created before anything is measured against them. */
export async function seedObjects(run: RunContext): Promise<void> {
  run.phase('seed');
  const { state } = run;
  const quiet = run.output.mode === 'quiet' || run.output.mode === 'json';
  const sets = state.experiment.seed ?? [];
  const nodes = agentNodeCount(state.experiment.agents ?? []);
  const base = sets.some((set) => set.onAgentNodes) ? agentNodesBase(run) : 0;
  state.seeded = await seed(sets, {
    ...(nodes > 0 ? { agentNode: (index: number) => nodeName(base + (index % nodes)) } : {}),
    client: state.client!,
    runId: state.runId,
    experimentDir: run.loaded.dir,
    signal: run.signal,
    quiet,
    progress: (label) => run.output.progress(label),
    event: run.event,
  });
  state.environment!.context.seeded = state.seeded;
}

function placementOf(kubernetes: NonNullable<AgentsSpec['placement']>['kubernetes']): NonNullable<FleetSpec['placement']> {
  return {
    context: kubernetes.context,
    kubeconfig: kubernetes.kubeconfig ?? defaultKubeconfig(),
    namespace: kubernetes.namespace ?? 'cpchaos-load',
    shards: kubernetes.shards,
    ...(kubernetes.server ? { server: kubernetes.server } : {}),
    ...(kubernetes.image ? { image: kubernetes.image } : {}),
  };
}

/** "v1.37.2" or "1.33" -> 37, 33. */
export function minorOf(version: string): number {
  const minor = /^v?1\.(\d+)/.exec(version)?.[1];
  if (!minor) throw new Error(`not a Kubernetes version: ${version}`);
  return Number(minor);
}

/** The agents' client-go model: the release asked for, else the cluster's. */
function agentClient(agents: AgentsSpec, clusterVersion: string): AgentClient {
  const { version, protocol, ...overrides } = agents.client ?? {};
  return { ...clientModel(minorOf(version ?? clusterVersion), overrides), protocol: protocol ?? 'http2' };
}

function fleetSpec(agents: AgentsSpec, clusterVersion: string): FleetSpec {
  return {
    type: agents.type,
    count: agents.count,
    relist: agents.relist ?? 'client-go',
    ...(agents.relist ? {} : { client: agentClient(agents, clusterVersion) }),
    minor: minorOf(agents.client?.version ?? clusterVersion),
    paginate: agents.paginate ?? false,
    off: Object.entries(agents.parts ?? {})
      .filter(([, on]) => !on)
      .map(([part]) => part),
    rampUpMs: parseDuration(agents.rampUp ?? '10s'),
    ...(agents.workers ? { workers: agents.workers } : {}),
    ...(agents.placement ? { placement: placementOf(agents.placement.kubernetes) } : {}),
    ...(agents.backoff ? { backoff: { initialMs: parseDuration(agents.backoff.initial), maxMs: parseDuration(agents.backoff.max) } } : {}),
  };
}

/** agents: the simulated node agents list and watch before the steady state is judged. */
export async function startAgents(run: RunContext): Promise<void> {
  const agents = run.state.experiment.agents ?? [];
  if (!agents.length) return;
  run.phase('agents');
  const { fleet } = run.state.environment!;
  const clusterVersion = run.state.cluster?.serverVersion ?? run.state.spec.kubernetesVersion;
  const first = firstNodes(agents, agentNodesBase(run));
  await fleet.start(
    agents.map((a, i) => ({ ...fleetSpec(a, clusterVersion), firstIndex: first[i]! })),
    run.signal,
  );
  await fleet.waitSynced(300_000, run.signal);
  const threads = fleet.workerThreads ? ` (in ${fleet.workerThreads} worker threads)` : '';
  run.event('agents-synced', `${agents.map((a) => `${a.count} ${a.type}`).join(', ')} listed and watching${threads}`, {
    workerThreads: fleet.workerThreads,
    handshakesInFlight: fleet.handshakesInFlight,
  });
}
