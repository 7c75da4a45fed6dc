import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { ShardsConfig } from '../load/shards/protocol.js';

/**
 * `cpchaos agent`: one shard of a sharded fleet. The runner starts it as a pod of an
 * Indexed Job on the load cluster (agents[].placement.kubernetes); it is not meant to
 * be run by hand.
 */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run one shard of a sharded agent fleet (started by `cpchaos run` as a pod of an Indexed Job on a load cluster; not for direct use)')
    .requiredOption('--config <file>', 'the shards config the runner wrote into the Job Secret')
    .option('--shard <index>', 'which shard (default $JOB_COMPLETION_INDEX)')
    .action(async (flags: { config: string; shard?: string }) => {
      const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
      const { runShard } = await import('../load/shards/shard.js');
      const shard = Number(flags.shard ?? process.env.JOB_COMPLETION_INDEX);
      if (!Number.isInteger(shard) || shard < 0) throw new UsageError('cpchaos agent needs --shard or $JOB_COMPLETION_INDEX (an Indexed Job sets it)');
      const config = JSON.parse(await fs.readFile(flags.config, 'utf8')) as ShardsConfig;
      // The pod's own service account reaches the load cluster's API: that is where the runner reads the stats.
      const kc = new KubeConfig();
      kc.loadFromCluster();
      await runShard(config, shard, kc.makeApiClient(CoreV1Api), (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
    });
}
