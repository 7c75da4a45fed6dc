import type { FleetStatsDelta } from '../agents/stats.js';
import type { AgentPlan } from '../fleet-workers.js';

/**
 * What the runner and the shards of a sharded fleet say to each other, all through
 * the load cluster's API (the only channel both always have): a Secret with each
 * shard's work and the target's identity, a control ConfigMap the runner writes
 * (drops to apply, when to stop), and one ConfigMap per shard it writes (its stats,
 * the drops it applied).
 */

/** The Secret's one key: every shard's share and how to reach the target. */
export interface ShardsConfig {
  runId: string;
  /** The target apiserver as the load cluster's pods reach it. */
  server: string;
  caPem: string;
  /** A token of an identity on the target that may only list and watch what the agents do. */
  token: string;
  /** Wall-clock ms at which every shard starts its agents. */
  startAt: number;
  /** Indexed by the Job's completion index. */
  plans: AgentPlan[];
  /** The TLS handshakes each shard's agents may have in flight at once, as the runner's threads (0: no limit). */
  handshakesInFlight: number;
  /** Where the control and stats ConfigMaps live (the Job's namespace). */
  namespace: string;
  controlName: string;
  statsPrefix: string;
}

export interface ScheduledDrop {
  id: number;
  /** Wall-clock ms at which every shard resets its agents' connections. */
  at: number;
  fraction: number;
}

/** data.control of the control ConfigMap. */
export interface ShardControl {
  drops: ScheduledDrop[];
  stop?: boolean;
}

/** data.report of a shard's ConfigMap. */
export interface ShardReport {
  shard: number;
  /** How many of its agents have started, and whether all have. */
  started: boolean;
  stats: FleetStatsDelta;
  /** The drops it applied: when exactly, and how many connections each reset. */
  drops: { id: number; at: number; dropped: number }[];
  stopped?: boolean;
}

export const configKey = 'shards.json';
export const shardsLabel = 'cpchaos.io/shards';

export function statsName(prefix: string, shard: number): string {
  return `${prefix}-${shard}`;
}
