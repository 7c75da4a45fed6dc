import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { withInterrupt } from '../interrupt.js';
import { binDirOption, note, write } from './shared.js';

const integer = (flag: string) => (text: string) => {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, got "${text}"`);
  return Number(text);
};

export function registerCapacity(program: Command): void {
  program
    .command('capacity')
    .description(
      'find the largest value of one scale parameter for which every hypothesis holds (grow, then bisect; a fresh cluster per run); capacity.md ends with the model of the runs (as cpchaos model)',
    )
    .argument('<experiment>', 'experiment YAML file')
    .requiredOption(
      '--vary <path>',
      'the number to vary, e.g. seed[0].count, agents[0].count, faults[0].clients; several paths, comma-separated, all take the value (a count and the threshold that follows it)',
    )
    .requiredOption('--from <n>', 'smallest value', integer('--from'))
    .requiredOption('--to <n>', 'largest value', integer('--to'))
    .option('--repeat <n>', 'runs per value; a value holds only if all pass', integer('--repeat'), 1)
    .option(
      '--resolution <n>',
      'stop bisecting once the limit is known to within n (thousands of agents need not be bisected to one)',
      integer('--resolution'),
      1,
    )
    .option('--variant <name>', "search in one of the experiment's variants (default: the base experiment)")
    .option('--results <dir>', 'where run folders go', 'results')
    .addOption(binDirOption())
    .action(
      async (
        file: string,
        flags: { vary: string; from: number; to: number; repeat: number; resolution: number; results: string; variant?: string; binDir?: string },
      ) => {
        const { capacitySearch, writeCapacity } = await import('../capacity.js');
        const { catalog } = await import('../plugins.js');
        const dir = path.join(
          flags.results,
          `capacity-${new Date()
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d+Z$/, 'Z')}`,
        );
        const result = await withInterrupt((signal) =>
          capacitySearch({
            file,
            catalog,
            vary: flags.vary,
            from: flags.from,
            to: flags.to,
            repeat: Math.max(1, flags.repeat),
            resolution: flags.resolution,
            resultsRoot: dir,
            signal,
            binDir: flags.binDir,
            variant: flags.variant,
            log: note,
          }),
        );
        write(await writeCapacity(dir, result));
        note(`results: ${dir}`);
      },
    );
}
