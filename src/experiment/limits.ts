import type { Problem } from '../core/plugin.js';

/**
 * What an experiment file may expand to. YAML aliases share one parsed object, so a
 * small file can name billions of values ("billion laughs"): every later walk (the
 * schema check, JSON.stringify of the record) would hang or run out of memory. These
 * bounds are far above any real experiment.
 */
export const documentLimits = {
  /** Bytes of the file itself. */
  sourceBytes: 4 * 1024 * 1024,
  /** Values once every alias is expanded. */
  values: 200_000,
  /** Nesting of mappings and sequences. */
  depth: 64,
};

/**
 * The first limit the parsed document exceeds, walking it as the schema check will:
 * through every alias again. Stops as soon as a limit is passed, so it is cheap on
 * hostile input too.
 */
export function documentProblem(value: unknown): Problem | undefined {
  let values = 0;
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: value, path: [] }];
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (++values > documentLimits.values) return { path: [], message: `the document expands to more than ${documentLimits.values} values (YAML aliases?)` };
    if (typeof node !== 'object' || node === null) continue;
    if (path.length >= documentLimits.depth) return { path, message: `nested more than ${documentLimits.depth} levels deep` };
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, child] of entries) stack.push({ node: child, path: [...path, key] });
  }
  return undefined;
}

/** What a seed template must look like for the kind it seeds: checked when the file is loaded, not when the apiserver refuses it. */
export function templateProblems(kind: string, template: unknown): Problem[] {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) return [{ path: [], message: 'a template is a mapping (an object)' }];
  const object = template as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const key of ['apiVersion', 'kind']) {
    if (key in object && typeof object[key] !== 'string') problems.push({ path: [key], message: `${key} is a string` });
  }
  const metadata = object.metadata;
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)))
    problems.push({ path: ['metadata'], message: 'metadata is a mapping' });
  else if (metadata && 'name' in metadata && typeof (metadata as { name: unknown }).name !== 'string')
    problems.push({ path: ['metadata', 'name'], message: 'metadata.name is a string' });
  if (kind === 'configmaps' || kind === 'secrets') {
    for (const key of ['data', 'stringData', 'binaryData']) {
      const data = object[key];
      if (data === undefined) continue;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) problems.push({ path: [key], message: `${key} is a mapping of strings` });
      else
        for (const [k, v] of Object.entries(data))
          if (typeof v !== 'string') problems.push({ path: [key, k], message: `${key} values are strings (quote numbers and booleans)` });
    }
  }
  return problems;
}
