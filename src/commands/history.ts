import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { note, write } from './shared.js';

const whole = (flag: string, least: number) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < least) throw new UsageError(`${flag} must be a whole number of at least ${least}, got "${text}"`);
  return value;
};

const rate = (text: string) => {
  const value = Number(text);
  if (!(value > 0 && value < 0.5)) throw new UsageError(`--false-alarm-rate must lie between 0 and 0.5, e.g. 0.001, got "${text}"`);
  return value;
};

interface HistoryFlags {
  influxdb?: string;
  experiment?: string;
  variant?: string;
  since?: string;
  out?: string;
  json?: boolean;
  window: number;
  minBaseline: number;
  falseAlarmRate: number;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description(
      'one experiment over time, from its run folders and capacity searches: verdicts, limits found, peak apiserver and etcd memory, LIST, relist and SLO p99s, the runner’s CPU; a figure worse than its recent baseline by more than its noise is a regression, and exit 1 while one is open at the latest run',
    )
    .argument('[paths...]', 'results roots, run folders or capacity searches (e.g. results/, or the claim a scheduled run writes to)')
    .option(
      '--influxdb <url>',
      'also the runs recorded in InfluxDB 1.x by the sink: http://[user@]host:8086/database (password from CPCHAOS_INFLUXDB_PASSWORD)',
    )
    .option('--experiment <name>', 'only this experiment (default: each experiment found, each its own history)')
    .option('--variant <name>', 'only this variant')
    .option('--since <run-id>', 'start the history (and its baseline) at this run or search: a change accepted, e.g. an upgrade that costs memory on purpose')
    .option('--out <dir>', 'where history.md, history.json and history.html go (default: the first path; needed with --influxdb alone)')
    .option('--json', 'print history.json instead of the markdown')
    .option('--window <runs>', 'the baseline: at most this many earlier runs that were not regressions', whole('--window', 2), 10)
    .option('--min-baseline <runs>', 'judge a run only with at least this many such runs before it', whole('--min-baseline', 2), 3)
    .option(
      '--false-alarm-rate <p>',
      'the share of runs of an unchanged setup that may be called regressions: the prediction interval’s one-sided level',
      rate,
      0.001,
    )
    .action(async (paths: string[], flags: HistoryFlags) => {
      if (!paths.length && !flags.influxdb) throw new UsageError('history needs run folders, a results root, or --influxdb');
      if (!paths.length && !flags.out) throw new UsageError('with --influxdb alone, say where the history goes: --out DIR');
      const { buildHistory } = await import('../history/history.js');
      const { writeHistory } = await import('../history/write.js');
      const { influxSinkOptions, parseInfluxFlag } = await import('../metrics/sinks/influxdb-config.js');
      const influxdb = flags.influxdb ? influxSinkOptions(parseInfluxFlag(flags.influxdb), {}) : undefined;
      const result = await buildHistory(paths, {
        influxdb,
        experiment: flags.experiment,
        variant: flags.variant,
        since: flags.since,
        detection: { window: flags.window, minBaseline: flags.minBaseline, falseAlarmRate: flags.falseAlarmRate },
      });
      const out = flags.out ?? paths[0]!;
      const markdown = await writeHistory(out, result);
      write(flags.json ? JSON.stringify(result, null, 2) : markdown.trimEnd());
      note(`history: ${path.resolve(out, 'history.html')}`);
      if (result.open) process.exitCode = ExitCode.deviated;
    });
}
