import type { TSchema } from '@sinclair/typebox';

/** The experiment JSON Schema as editors read it (experiments/schema.json), generated from the TypeBox types. */
export function experimentJsonSchema(schema: TSchema): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}
