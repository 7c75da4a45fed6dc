import type { AgentsSpec } from '../experiment/schema.js';

type Entry = Pick<AgentsSpec, 'type' | 'count'>;

/** A node runs one agent of each kind, so an experiment's agents stand for as many nodes as its largest count of one kind. */
export function agentNodeCount(agents: readonly Entry[]): number {
  const perKind = new Map<string, number>();
  for (const { type, count } of agents) perKind.set(type, (perKind.get(type) ?? 0) + count);
  return Math.max(0, ...perKind.values());
}

/**
 * The first node of each entry, from `base`: every kind starts at the same node, so kubelet i,
 * kube-proxy i and CNI agent i are one node (the kube-proxy watches the Node its kubelet
 * registers, the CNI agent the pods bound to it); a second entry of a kind takes the nodes after its first.
 */
export function firstNodes(agents: readonly Entry[], base: number): number[] {
  const used = new Map<string, number>();
  return agents.map(({ type, count }) => {
    const first = base + (used.get(type) ?? 0);
    used.set(type, (used.get(type) ?? 0) + count);
    return first;
  });
}
