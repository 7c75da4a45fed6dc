import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { parseBytes, parseDuration } from '../units.js';

interface Format {
  pattern: RegExp;
  expected: string;
  /** Past this a wait overflows Node's timers (24.8 days) or a size means nothing real. */
  max?: { value: number; text: string; parse: (text: string) => number };
}

export const formats: Record<string, Format> = {
  duration: {
    pattern: /^(\d+(\.\d+)?(ms|s|m|h))+$/,
    expected: 'a duration such as 500ms, 30s, 5m or 1m30s',
    max: { value: 7 * 24 * 3_600_000, text: '168h', parse: parseDuration },
  },
  size: {
    pattern: /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/,
    expected: 'a size such as 512Mi, 2Gi or 10Ki (not 2GB)',
    max: { value: 1024 ** 5, text: '1024Ti', parse: parseBytes },
  },
  quantity: { pattern: /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T|ms|s|m|h)?$/, expected: 'a number, a size (512Mi) or a duration (500ms)' },
};

const withinFormat = (format: Format, text: string) =>
  text.length <= 64 && format.pattern.test(text) && (!format.max || format.max.parse(text) <= format.max.value);

function formatMessage(name: string, value: unknown): string {
  const format = formats[name];
  if (!format) return `expected ${name}, got ${describe(value)}`;
  const overMax = typeof value === 'string' && format.max && format.pattern.test(value);
  return overMax ? `expected at most ${format.max!.text}, got ${describe(value)}` : `expected ${format.expected}, got ${describe(value)}`;
}

export interface SchemaProblem {
  /** JSON path segments into the document. */
  path: (string | number)[];
  /** True when the problem is the key itself (an unknown key), not its value. */
  atKey: boolean;
  message: string;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // A URL's user:password never goes back out in an error message.
  if (typeof value === 'string') return `"${value.replace(/(\/\/[^/@\s]*?):[^/@\s]*@/g, '$1:***@')}"`;
  return String(value);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string, allowed: string[]): string {
  const close = allowed
    .map((k) => [k, editDistance(key, k)] as const)
    .filter(([, d]) => d <= 2)
    .sort((a, b) => a[1] - b[1])[0];
  return close ? ` (did you mean "${close[0]}"?)` : ` (allowed: ${allowed.join(', ')})`;
}

function valueAt(document: unknown, path: (string | number)[]): unknown {
  let value = document;
  for (const segment of path) value = (value as Record<string | number, unknown> | undefined)?.[segment];
  return value;
}

function toProblem(error: ErrorObject, document: unknown): SchemaProblem | undefined {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const value = valueAt(document, path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: Record<string, unknown> }).properties ?? {});
      return { path: [...path, key], atKey: true, message: `unknown key "${key}"${suggestion(key, allowed)}` };
    }
    case 'required':
      return { path, atKey: false, message: `missing required key "${String(params.missingProperty)}"` };
    case 'type':
      return { path, atKey: false, message: `expected ${String(params.type)}, got ${describe(value)}` };
    case 'format':
      return { path, atKey: false, message: formatMessage(String(params.format), value) };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return { path, atKey: false, message: `expected a number ${String(params.comparison)} ${String(params.limit)}, got ${describe(value)}` };
    case 'minItems':
      return { path, atKey: false, message: `expected at least ${String(params.limit)} item(s)` };
    case 'const':
      return { path, atKey: false, message: `expected "${String(params.allowedValue)}", got ${describe(value)}` };
    case 'enum':
      return {
        path,
        atKey: false,
        message: `expected one of ${(params.allowedValues as unknown[]).map((v) => (v === '' ? '""' : String(v))).join(', ')}, got ${describe(value)}`,
      };
    case 'pattern':
      return { path, atKey: false, message: `${describe(value)} does not match ${String(params.pattern)}` };
    case 'uniqueItems':
      return { path, atKey: false, message: 'items must be unique' };
    case 'if':
    case 'anyOf':
      return undefined;
    default:
      return { path, atKey: false, message: error.message ?? error.keyword };
  }
}

/**
 * Validates a parsed experiment against the JSON Schema and turns ajv's errors
 * into one plain problem per place. A union of literals (`kind: pods | configmaps`)
 * is reported as one "expected one of" rather than one error per literal.
 */
/** Compiled on first use, with an Ajv of its own: two catalogs in one process each have their schema. */
export function schemaValidator(schema: TSchema): (document: unknown) => SchemaProblem[] {
  let validate: ValidateFunction | undefined;
  return (document) => {
    if (!validate) {
      const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
      for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, { type: 'string', validate: (text: string) => withinFormat(format, text) });
      validate = ajv.compile<unknown>(schema);
    }
    return schemaProblems(validate, document);
  };
}

function schemaProblems(validateExperiment: ValidateFunction, document: unknown): SchemaProblem[] {
  if (validateExperiment(document)) return [];
  const errors = validateExperiment.errors ?? [];
  const problems: SchemaProblem[] = [];
  const literalUnions = new Map<string, { values: unknown[]; error: ErrorObject }>();
  for (const error of errors) {
    if (error.keyword === 'const' && error.schemaPath.includes('/anyOf/')) {
      const entry = literalUnions.get(error.instancePath) ?? { values: [], error };
      entry.values.push((error.params as { allowedValue: unknown }).allowedValue);
      literalUnions.set(error.instancePath, entry);
      continue;
    }
    // In a union of types (number or size string), the branch-specific error says more than "expected number".
    if (
      error.keyword === 'type' &&
      error.schemaPath.includes('/anyOf/') &&
      errors.some((e) => e !== error && e.instancePath === error.instancePath && e.keyword !== 'type' && e.keyword !== 'anyOf')
    )
      continue;
    const problem = toProblem(error, document);
    if (problem) problems.push(problem);
  }
  for (const { values, error } of literalUnions.values()) {
    const problem = toProblem({ ...error, keyword: 'enum', params: { allowedValues: values } }, document);
    if (problem && !problems.some((p) => p.path.join('/') === problem.path.join('/'))) problems.push(problem);
  }
  // One line per place: keep the first problem reported at each path.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('/')}:${p.atKey}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
