import type { CoreV1Api } from '@kubernetes/client-node';
import { fixedAuthorization } from '../authorization.js';
import { Fleet } from '../fleet.js';
import { upstreamOf } from '../proxy.js';
import { runLabel } from '../seed.js';
import { Cancellation } from '../../util/cancellation.js';
import { readConfigMapJson, writeConfigMap } from './configmaps.js';
import { shardsLabel, statsName, type ShardControl, type ShardReport, type ShardsConfig } from './protocol.js';

/**
 * One shard of a sharded fleet, in a pod of the load cluster: its share of the agents,
 * dialling the target directly, started at the common instant; drops
 * applied at the instants the runner sets; its stats published every second.
 */
export async function runShard(config: ShardsConfig, shard: number, load: CoreV1Api, log: (line: string) => void = () => undefined): Promise<void> {
  const plan = config.plans[shard];
  if (!plan) throw new Error(`no plan for shard ${shard} (${config.plans.length} shards)`);
  const { host } = upstreamOf(config.server);
  const tls = { ca: config.caPem, credentials: fixedAuthorization(`Bearer ${config.token}`), serverName: host };
  // The agents dial the target themselves; a drop resets their own sockets.
  const fleet = new Fleet(config.server, tls, new Map(), { handshakesInFlight: config.handshakesInFlight });
  const report: ShardReport = { shard, started: false, stats: {}, drops: [] };
  const labels = { [runLabel]: config.runId, [shardsLabel]: 'stats' };
  const publish = () =>
    writeConfigMap(load, config.namespace, statsName(config.statsPrefix, shard), labels, {
      report: JSON.stringify({ ...report, stats: fleet.stats.totals() }),
    });
  const done = new Cancellation();
  const scheduled = new Set<number>();
  await done.sleep(Math.max(0, config.startAt - Date.now()));
  log(`shard ${shard}: starting ${plan.agents.length} ${plan.type} agents against ${config.server}`);
  void fleet.runPlan(plan).then(() => (report.started = true));
  let lastPublish = 0;
  let publishedDrops = 0;
  while (!done.stopped) {
    const control = await readConfigMapJson<ShardControl>(load, config.namespace, config.controlName, 'control').catch(() => undefined);
    for (const drop of control?.drops ?? []) {
      if (scheduled.has(drop.id)) continue;
      scheduled.add(drop.id);
      setTimeout(
        () => {
          const at = Date.now();
          void fleet.resetConnections(drop.fraction).then(({ reset }) => report.drops.push({ id: drop.id, at, dropped: reset }));
        },
        Math.max(0, drop.at - Date.now()),
      );
    }
    if (control?.stop) done.stop();
    // Every second, and at once after a drop: the runner waits for every shard's word on it.
    if (Date.now() - lastPublish >= 1000 || report.drops.length > publishedDrops) {
      publishedDrops = report.drops.length;
      await publish().catch((error: unknown) => log(`shard ${shard}: publishing stats failed: ${String(error)}`));
      lastPublish = Date.now();
    }
    await done.sleep(250);
  }
  await fleet.stop();
  report.stopped = true;
  await publish();
  log(`shard ${shard}: stopped`);
}
