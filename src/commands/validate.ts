import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { ExperimentError, loadExperiment } from '../experiment/load.js';
import { expandVariants } from '../variants.js';
import { note } from './shared.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'check experiment files against the schema; prints file:line:column for every problem (exit 2), and warns where object counts pass the documented limits of the Kubernetes SLOs',
    )
    .argument('<files...>', 'experiment YAML files')
    .action(async (files: string[]) => {
      const { catalog } = await import('../plugins.js');
      const problems: string[] = [];
      for (const file of files) {
        try {
          const loaded = await loadExperiment(file, catalog);
          const variants = expandVariants(loaded);
          loaded.warnings.forEach(note);
          note(`${file}: ok${variants.length ? ` (${variants.length} variants)` : ''}`);
        } catch (error) {
          if (error instanceof ExperimentError) problems.push(...error.problems);
          else if (error instanceof UsageError) problems.push(error.message);
          else throw error;
        }
      }
      if (problems.length) throw new ExperimentError(problems);
    });
}
