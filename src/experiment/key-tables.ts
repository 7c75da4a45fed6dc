import type { TObject, TSchema } from '@sinclair/typebox';

const common = new Set(['type', 'name', 'at']);

/** A key's type as a reader wants it: `a | b` for literals, the format for durations and sizes. */
function typeText(schema: TSchema): string {
  const s = schema as { const?: unknown; anyOf?: TSchema[]; type?: string; format?: string; items?: TSchema; minimum?: number; maximum?: number };
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.anyOf) return s.anyOf.map(typeText).join(' \\| ');
  if (s.format) return s.format;
  if (s.type === 'array') return `list of ${s.items ? typeText(s.items) : 'values'}`;
  const range = s.minimum !== undefined || s.maximum !== undefined ? ` ${s.minimum ?? ''}..${s.maximum ?? ''}` : '';
  return `${s.type ?? 'object'}${range}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The keys of one plugin's entry as a Markdown table, from its schema: the one place defaults and meanings live. */
export function keyTable(schema: TObject): string {
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties)
    .filter(([key]) => !common.has(key))
    .map(([key, value]) => {
      const v = value as TSchema & { default?: unknown; description?: string };
      const fallback = v.default === undefined ? (required.has(key) ? 'required' : '') : `\`${JSON.stringify(v.default)}\``;
      return `| \`${key}\` | ${typeText(v)} | ${fallback} | ${cell(v.description ?? '')} |`;
    });
  if (!rows.length) return 'No keys of its own.';
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * Rewrites every `<!-- keys NAME -->` ... `<!-- /keys -->` block of a Markdown page with
 * the table of that plugin's schema; a block naming no known plugin is an error.
 */
export function updateKeyTables(markdown: string, schemas: ReadonlyMap<string, TObject>): string {
  return markdown.replace(/<!-- keys ([\w-]+)[^>]*-->\n[\s\S]*?<!-- \/keys -->/g, (_block, name: string) => {
    const schema = schemas.get(name);
    if (!schema) throw new Error(`key table for "${name}": no such plugin`);
    return `<!-- keys ${name}: generated from its schema by \`npm run docs\` -->\n${keyTable(schema)}\n<!-- /keys -->`;
  });
}
