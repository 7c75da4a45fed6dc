import type { Command } from 'commander';
import { experimentJsonSchema } from '../experiment/json-schema.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of experiment files (the same as experiments/schema.json)')
    .action(async () => {
      const { catalog } = await import('../plugins.js');
      process.stdout.write(experimentJsonSchema(catalog.schema));
    });
}
