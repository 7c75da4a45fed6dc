import type { Command } from 'commander';
import { withInterrupt } from '../interrupt.js';
import { binDirOption, note, write } from './shared.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run an experiment: provision, seed, steady state, faults, observe, recover, verify, teardown')
    .argument('<experiment>', 'experiment YAML file')
    .option('--results <dir>', 'where run folders go', 'results')
    .option('--run-id <id>', 'name of the run folder (default: <timestamp>-<experiment name>)')
    .option('--quiet', 'print only the verdicts')
    .addOption(binDirOption())
    .addHelpText('after', '\nExit codes: 0 every hypothesis held, 1 a hypothesis deviated (or not in steady state),\n2 invalid experiment file, 3 infrastructure failure, 130 interrupted.')
    .action(async (file: string, flags: { results: string; runId?: string; quiet?: boolean; binDir?: string }) => {
      const { runExperiment } = await import('../runner.js');
      const { dir, summary } = await withInterrupt((signal) => runExperiment({ file, resultsRoot: flags.results, runId: flags.runId, signal, binDir: flags.binDir, quiet: flags.quiet }));
      for (const v of summary.verdicts) write(`${v.status === 'held' ? 'held    ' : v.status.toUpperCase().padEnd(8)} ${v.name}: ${v.observedText} (expected ${v.expected})`);
      write(`${summary.status}: ${summary.experiment.name}${summary.message ? ` - ${summary.message}` : ''}`);
      note(`results: ${dir}`);
      process.exitCode = summary.exitCode;
    });
}
