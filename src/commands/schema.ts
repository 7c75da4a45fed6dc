import type { Command } from 'commander';
import { experimentJsonSchema } from '../experiment/json-schema.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of experiment files (the same as experiments/schema.json)')
    .action(() => {
      process.stdout.write(experimentJsonSchema());
    });
}
