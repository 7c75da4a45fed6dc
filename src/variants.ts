import { UsageError } from './errors.js';
import type { LoadedExperiment } from './experiment/load.js';

/** "cluster.featureGates.WatchList" or "faults[0].resourceVersion" -> path segments. */
export function parsePath(text: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of text.split('.')) {
    const match = /^([A-Za-z][\w-]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) throw new UsageError(`invalid path "${text}": expected something like seed[0].count or cluster.featureGates.WatchList`);
    segments.push(match[1]!);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/**
 * A copy of the experiment with one value set at `path`. Missing mapping keys are
 * created (a feature gate the base did not set); list items must exist.
 */
export function setAt<T>(document: T, path: string, value: unknown): T {
  const copy = structuredClone(document) as Record<string | number, unknown>;
  const segments = parsePath(path);
  let node: Record<string | number, unknown> = copy;
  segments.slice(0, -1).forEach((segment, i) => {
    if (node[segment] === undefined && typeof segment === 'string' && typeof segments[i + 1] === 'string') node[segment] = {};
    const next = node[segment];
    if (typeof next !== 'object' || next === null) throw new UsageError(`${path}: ${String(segment)} does not exist in the experiment`);
    node = next as Record<string | number, unknown>;
  });
  const last = segments[segments.length - 1]!;
  // A list item that does not exist yet may only be appended: seed[99999999] would make a list of that length.
  if (Array.isArray(node) && typeof last === 'number' && last > node.length) throw new UsageError(`${path}: the list has ${node.length} items`);
  node[last] = value;
  return copy as T;
}

export interface Variant {
  name: string;
  loaded: LoadedExperiment;
}

/** Every declared variant as a complete experiment, each checked against the schema. */
export function expandVariants(loaded: LoadedExperiment): Variant[] {
  const variants = loaded.experiment.variants ?? [];
  return variants.map((variant) => {
    let experiment = { ...structuredClone(loaded.experiment), variants: undefined };
    for (const [path, value] of Object.entries(variant.set ?? {})) experiment = setAt(experiment, path, value);
    delete experiment.variants;
    const problems = loaded.catalog.schemaProblems(experiment);
    if (problems.length) {
      const [first] = problems;
      throw new UsageError(`${loaded.file}: variant "${variant.name}" makes ${first!.path.join('.')} invalid: ${first!.message}`);
    }
    return { name: variant.name, loaded: { ...loaded, experiment } };
  });
}
