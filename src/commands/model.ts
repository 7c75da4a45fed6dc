import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { note, write } from './shared.js';

const number = (flag: string) => (text: string) => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got "${text}"`);
  return value;
};

interface ModelFlags {
  x?: string;
  scaleWith?: string;
  atScale?: number;
  limit: string[];
  at?: number;
  fitUpTo?: number;
  fitScaleUpTo?: number;
  confidence: number;
  out?: string;
}

export function registerModel(program: Command): void {
  program
    .command('model')
    .description(
      'fit how apiserver and etcd peak memory, LIST p99 and relist p99 grow with one parameter across runs (a capacity search, or any runs varying it): marginal cost, prediction intervals, the predicted limit',
    )
    .argument('<paths...>', 'run folders, or folders of them (a capacity search: results/capacity-<time>)')
    .option('--x <path>', 'the parameter that varies across the runs, e.g. faults[0].clients (default: the capacity search’s --vary)')
    .addOption(
      new Option('--limit <name=value>', 'a ceiling to predict the parameter at, e.g. apiserver-memory=32Gi or list-p99=30s; repeatable')
        .argParser((text: string, previous: string[]) => [...previous, text])
        .default([], 'the memory limits the runs had'),
    )
    .option(
      '--scale-with <path>',
      'a second parameter the runs vary, e.g. seed[0].count: fit y = a + b·s + c·x·s (each more x costs in proportion to s) over runs of several searches, e.g. one varying x and one s, and read it at --at-scale',
    )
    .option('--at-scale <n>', 'with --scale-with: the value to predict at, e.g. production’s 60000 pods (default: the largest measured)', number('--at-scale'))
    .option('--at <n>', 'predict every quantity at this value', number('--at'))
    .option('--fit-up-to <n>', 'fit only the runs up to this value and check the prediction against the larger ones', number('--fit-up-to'))
    .option('--fit-scale-up-to <n>', 'with --scale-with: fit only the runs up to this scale, and check the others', number('--fit-scale-up-to'))
    .option('--confidence <p>', 'of the prediction intervals', number('--confidence'), 0.9)
    .option('--out <dir>', 'where model.md, model.json and model.html go (default: the first path)')
    .action(async (paths: string[], flags: ModelFlags) => {
      if (!(flags.confidence > 0 && flags.confidence < 1)) throw new UsageError('--confidence must lie between 0 and 1, e.g. 0.9');
      const { modelOfRuns, parseLimit, writeModel } = await import('../model/write.js');
      const limits = Object.fromEntries(flags.limit.map(parseLimit));
      const { x, scaleWith, atScale, at, fitUpTo, fitScaleUpTo, confidence } = flags;
      const result = await modelOfRuns(paths, { parameter: x, scaleWith, atScale, at, fitUpTo, fitScaleUpTo, confidence, limits });
      const out = flags.out ?? paths[0]!;
      write(await writeModel(out, result, `Model of ${result.describes}`));
      note(`model: ${path.resolve(out, 'model.html')}`);
    });
}
