import type { AgentConnections } from '../core/plugin.js';
import type { Fleet } from './fleet.js';
import type { LoadBalancerProxy } from './proxy.js';

/**
 * The agents' connections for faults to act on. Direct, the runner resets its agents' own
 * sockets; through the relay (for latency and blackholes), the relay resets both sides.
 */
export function agentConnections(fleet: Fleet, relay?: LoadBalancerProxy): AgentConnections {
  if (relay)
    return {
      relayed: true,
      reset: (fraction) => Promise.resolve({ open: relay.connections, reset: relay.drop(fraction) }),
      setLatency: (ms) => relay.setLatency(ms),
      setBlackhole: (on) => relay.setBlackhole(on),
    };
  const noRelay = (what: string) => () => {
    throw new Error(`${what} needs the agents' traffic to pass the runner's relay, which a run turns on for a connection-drop fault with latency or blackhole`);
  };
  return {
    relayed: false,
    reset: (fraction) => fleet.resetConnections(fraction),
    setLatency: noRelay('latency'),
    setBlackhole: noRelay('a blackhole'),
  };
}
