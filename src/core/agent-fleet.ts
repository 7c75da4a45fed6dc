/** What a simulated agent does after a break when forced to relist: a quorum LIST, one from the watch cache, or a streaming list. */
export type RelistPolicy = 'quorum' | 'cache' | 'streaming';

/** Agents a fault adds while it runs: `count` agents of one kind, on the nodes numbered from `firstIndex`. */
export interface AgentBatch {
  /** An agent kind's type: kubelet, kube-proxy, ... */
  type: string;
  count: number;
  firstIndex: number;
  /** client-go: what the agent's release does; the others force a relist on every break. */
  relist: RelistPolicy | 'client-go';
  paginate: boolean;
  /** Agents start evenly over this long (0: all at once). */
  rampUpMs: number;
  /** Parts of the agent kind switched off (its `parts`: lease, nodeStatus, ...). */
  off?: string[];
}

/** The simulated node agents as a fault drives them (load/fleet.ts implements it). */
export interface AgentFleet {
  /** Reserves `count` node numbers no other agents use; returns the first. */
  allocateNodes(count: number): number;
  /** Starts every batch at once, each over its own ramp; resolves once every agent has started. */
  start(batches: AgentBatch[], signal?: AbortSignal): Promise<void>;
  /** Runs `task` beside the agents until the fleet stops, which aborts its signal. */
  background(task: (stop: AbortSignal) => Promise<void>): void;
  /** Drops a fraction of the connections of the agents sharded onto a load cluster; undefined when none are. */
  dropSharded(fraction: number): Promise<{ dropped: number; skewMs: number } | undefined>;
}
