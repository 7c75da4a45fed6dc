import { Type, type TProperties } from '@sinclair/typebox';
import type { Cluster } from '../cluster/provider.js';
import type { SeededSet } from '../load/seed.js';
import type { ApiClient } from '../load/client.js';
import type { Fleet } from '../load/fleet.js';
import type { LoadBalancerProxy } from '../load/proxy.js';
import { Duration } from '../experiment/schema-parts.js';

export interface FaultContext {
  cluster: Cluster;
  /** The runner's client: every request it makes is counted in the cpchaos_client_* series. */
  client: ApiClient;
  /** A client of the fault's own (its own connections and protocol), counted in the same series. */
  newClient(options: { protocol: 'http1' | 'http2'; maxSockets?: number }): Promise<ApiClient>;
  seeded: SeededSet[];
  /** The load balancer between the simulated agents and the apiserver. */
  proxy: LoadBalancerProxy;
  /** The simulated node agents (empty unless the experiment has agents or a fault adds some). */
  fleet: Fleet;
  /** Aborted on Ctrl-C: a fault must stop promptly and return. */
  signal: AbortSignal;
  event(type: string, message: string, extra?: Record<string, unknown>): void;
}

/** The schema of a fault's entry: the common keys plus the fault's own, nothing else. */
export function faultSchema<T extends TProperties>(type: string, properties: T) {
  return Type.Object(
    {
      type: Type.Literal(type),
      name: Type.Optional(Type.String({ description: 'a name for reports (default: the type)' })),
      at: Type.Optional(Duration('start this long after injection begins (default 0s)')),
      ...properties,
    },
    { additionalProperties: false },
  );
}
