import type { Command } from 'commander';
import { ExperimentError, loadExperiment } from '../experiment/load.js';
import { note } from './shared.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check experiment files against the schema; prints file:line:column for every problem')
    .argument('<files...>', 'experiment YAML files')
    .action(async (files: string[]) => {
      const problems: string[] = [];
      for (const file of files) {
        try {
          await loadExperiment(file);
          note(`${file}: ok`);
        } catch (error) {
          if (!(error instanceof ExperimentError)) throw error;
          problems.push(...error.problems);
        }
      }
      if (problems.length) throw new ExperimentError(problems);
    });
}
