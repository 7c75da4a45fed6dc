import { ExperimentSchema } from './schema.js';

/** The experiment JSON Schema as editors read it (experiments/schema.json), generated from the TypeBox types. */
export function experimentJsonSchema(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...ExperimentSchema }, null, 2)}\n`;
}
