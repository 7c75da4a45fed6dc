import type { Experiment } from './schema.js';

/**
 * The documented limits within which Kubernetes promises its SLOs: sig-scalability's
 * configs-and-limits/thresholds.md for vanilla Kubernetes (the "TBD" rows left out).
 */
export const objectLimits = {
  cluster: { nodes: 5_000, namespaces: 10_000, pods: 150_000, services: 10_000 },
  namespace: { pods: 3_000, services: 5_000, deployments: 2_000 },
  /** min(110, 10 × the node's cores): 110 is the most any node may carry. */
  podsPerNode: 110,
} as const;

/** The parts of an experiment (or of a profile's fragment) that put objects and nodes in a cluster. */
export type ExperimentCounts = Pick<Experiment, 'seed' | 'agents' | 'faults'>;

export type ClusterCounts = Partial<Record<keyof typeof objectLimits.cluster, number>>;

/** One object count past its limit, at a path of the experiment (or [] for the cluster as a whole). */
export interface LimitExceeded {
  path: (string | number)[];
  message: string;
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');
const source = 'the documented limit (sig-scalability thresholds.md), past which the SLOs are not promised';

/** The cluster-wide counts past their limits, and pods per node. */
export function clusterLimitsExceeded(counts: ClusterCounts, at: Partial<Record<keyof ClusterCounts, (string | number)[]>> = {}): LimitExceeded[] {
  const exceeded: LimitExceeded[] = [];
  for (const [quantity, limit] of Object.entries(objectLimits.cluster)) {
    const count = counts[quantity as keyof ClusterCounts];
    if (count !== undefined && count > limit)
      exceeded.push({
        path: at[quantity as keyof ClusterCounts] ?? [],
        message: `${number(count)} ${quantity} is past ${number(limit)} per cluster, ${source}`,
      });
  }
  if (counts.pods && counts.nodes && counts.pods / counts.nodes > objectLimits.podsPerNode)
    exceeded.push({ path: at.pods ?? [], message: `${number(counts.pods / counts.nodes)} pods per node is past ${objectLimits.podsPerNode}, ${source}` });
  return exceeded;
}

/** The nodes an experiment simulates: its largest agent fleet (one node per agent) and the nodes that join. */
function experimentNodes(experiment: ExperimentCounts): number {
  const agents = Math.max(0, ...(experiment.agents ?? []).map((a) => a.count));
  const joining = (experiment.faults ?? []).filter((f) => f.type === 'node-join-burst').reduce((sum, f) => sum + Number(f.nodes ?? 0), 0);
  return agents + joining;
}

/** What an experiment (or a profile's fragment) would put in a cluster, against the documented limits. */
export function experimentLimitsExceeded(experiment: ExperimentCounts): LimitExceeded[] {
  const exceeded: LimitExceeded[] = [];
  const totals: Required<ClusterCounts> = { nodes: experimentNodes(experiment), namespaces: 0, pods: 0, services: 0 };
  (experiment.seed ?? []).forEach((set, i) => {
    const namespaces = set.namespaces ?? 1;
    if (set.kind === 'namespaces') totals.namespaces += set.count;
    else if (set.namespaces) totals.namespaces += set.namespaces;
    const pods = set.kind === 'pods' ? set.count : set.kind === 'deployments' ? set.count * (set.replicas ?? 1) : 0;
    totals.pods += pods;
    if (set.kind === 'services') totals.services += set.count;
    const perNamespace = { pods, services: set.kind === 'services' ? set.count : 0, deployments: set.kind === 'deployments' ? set.count : 0 };
    for (const [quantity, limit] of Object.entries(objectLimits.namespace)) {
      const count = perNamespace[quantity as keyof typeof perNamespace] / namespaces;
      if (count > limit)
        exceeded.push({ path: ['seed', i, 'count'], message: `${number(count)} ${quantity} per namespace is past ${number(limit)}, ${source}` });
    }
  });
  // Cluster-wide counts are sums over the file: the warning points at the list they come from.
  const nodesFrom = experiment.agents?.length ? ['agents'] : ['faults'];
  return [...exceeded, ...clusterLimitsExceeded(totals, { nodes: nodesFrom, namespaces: ['seed'], pods: ['seed'], services: ['seed'] })];
}
