import { Type } from '@sinclair/typebox';
import { Duration, Default } from '../experiment/schema-parts.js';
import { parseDuration } from '../units.js';
import { sleep } from '../util/wait.js';
import { defineFault, faultSchema } from './types.js';

const schema = faultSchema('connection-drop', {
  fraction: Default(Type.Number({ minimum: 0, maximum: 1, description: 'share of the open agent connections to reset (1: all)' }), 1),
  blackhole: Type.Optional(Duration('instead: swallow all traffic for this long, then reset what was swallowed')),
  latency: Type.Optional(Duration('instead: delay every chunk by this much ...')),
  for: Default(Duration('... for this long'), '30s'),
});

/**
 * What a load balancer failover does to the agents' long-lived watches: resets them
 * all at once (or a fraction), which sends every agent back to LIST. Also added
 * latency and a blackhole for a while.
 */
export const connectionDrop = defineFault({
  type: 'connection-drop',
  description: "reset the agents' connections (an RST, as a load balancer failover), or slow or blackhole them through the runner's relay",
  schema,
  // Resets need no relay: the runner resets its agents' own sockets. Latency and a blackhole act on their bytes.
  relay: (params) => Boolean(params.blackhole ?? params.latency),
  // Only the runner's own load balancer: the agents' watches are theirs to declare.
  access: () => [],
  async run(params, context) {
    const { connections } = context;
    if (params.blackhole) {
      connections.setBlackhole(true);
      context.event('blackhole-on', `swallowing agent traffic for ${params.blackhole}`);
      try {
        await sleep(parseDuration(params.blackhole), context.signal);
      } finally {
        connections.setBlackhole(false);
        const { reset: dropped } = await connections.reset(1);
        context.event('blackhole-off', `blackhole lifted; ${dropped} connections reset`, { dropped });
      }
      return;
    }
    if (params.latency) {
      const ms = parseDuration(params.latency);
      connections.setLatency(ms);
      context.event('latency-on', `+${params.latency} on agent traffic for ${params.for}`, { latencyMs: ms });
      try {
        await sleep(parseDuration(params.for), context.signal);
      } finally {
        connections.setLatency(0);
        context.event('latency-off', 'agent traffic at full speed again');
      }
      return;
    }
    const { open, reset: dropped } = await connections.reset(params.fraction);
    context.event('connections-dropped', `${dropped} of ${open} agent connections reset${connections.relayed ? ' at the relay' : ''}`, {
      dropped,
      open,
      relayed: connections.relayed,
    });
    // Sharded agents: every shard resets its own at one wall-clock instant, a couple of seconds ahead.
    const sharded = await context.fleet.dropSharded(params.fraction);
    if (sharded)
      context.event('connections-dropped', `${sharded.dropped} sharded agent connections reset, the shards ${sharded.skewMs} ms apart`, {
        dropped: sharded.dropped,
        sharded: true,
        skewMs: sharded.skewMs,
      });
  },
});
