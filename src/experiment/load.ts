import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { UsageError } from '../errors.js';
import { locate, parseWithPositions, type NodePosition } from './positions.js';
import type { Experiment } from './schema.js';
import { faultByType } from '../faults/registry.js';
import { schemaProblems } from './validate.js';

/** Invalid experiment file(s): one line per problem, each "file:line:column: path: what was expected". */
export class ExperimentError extends UsageError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface LoadedExperiment {
  file: string;
  dir: string;
  experiment: Experiment;
}

function pathText(segments: (string | number)[]): string {
  return segments.reduce<string>((text, s) => (typeof s === 'number' ? `${text}[${s}]` : text ? `${text}.${s}` : s), '') || '(document)';
}

/** Cluster settings that only mean something for a control plane we start. */
const ownedClusterSettings = ['kubernetesVersion', 'etcdVersion', 'components', 'memoryLimits', 'apiserverArgs', 'featureGates', 'etcdUnsafeNoFsync', 'restartOnExit'] as const;
const settingsOf: Record<string, readonly string[]> = {
  local: ownedClusterSettings,
  kind: ['kubernetesVersion', 'memoryLimits', 'apiserverArgs', 'featureGates', 'controlPlanes', 'nodeImage'],
  existing: ['context', 'kubeconfig'],
};

/** What each provider can do: an existing cluster is someone else's, so only client-side faults and no process checks. */
function providerProblems(experiment: Experiment): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const provider = experiment.cluster?.provider ?? 'local';
  for (const key of Object.keys(experiment.cluster ?? {})) {
    if (key !== 'provider' && !settingsOf[provider]!.includes(key)) problems.push({ path: ['cluster', key], message: `${key} does not apply to the ${provider} provider (it takes: ${settingsOf[provider]!.join(', ')})` });
  }
  if (provider === 'existing' && !experiment.cluster?.context) problems.push({ path: ['cluster'], message: 'the existing provider needs context: the exact kubeconfig context to run against' });
  (experiment.faults ?? []).forEach((fault, i) => {
    const providers = faultByType(fault.type)?.providers;
    if (providers && !providers.includes(provider)) problems.push({ path: ['faults', i, 'type'], message: `${fault.type} runs on the ${providers.join(' or ')} provider only, not ${provider}` });
  });
  if (provider === 'existing') {
    experiment.hypotheses.forEach((h, i) => {
      if ('builtin' in h && h.builtin === 'not-oom-killed') problems.push({ path: ['hypotheses', i, 'builtin'], message: 'not-oom-killed needs to see the control plane\'s processes; the existing provider cannot (use a metric hypothesis instead)' });
    });
  }
  return problems;
}

/** Checks the schema cannot express: references between entries. */
function crossReferenceProblems(experiment: Experiment): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const setNames: string[] = [];
  (experiment.seed ?? []).forEach((set, i) => {
    const name = set.name ?? set.kind;
    if (setNames.includes(name)) problems.push({ path: ['seed', i], message: `seed set name "${name}" is used twice; give one a name:` });
    if (set.kind === 'customresources' && !set.crdSet) problems.push({ path: ['seed', i], message: 'a customresources set needs crdSet: the name of an earlier crds set' });
    if (set.crdSet) {
      const target = (experiment.seed ?? []).slice(0, i).find((s) => (s.name ?? s.kind) === set.crdSet);
      if (!target || target.kind !== 'crds') problems.push({ path: ['seed', i, 'crdSet'], message: `"${set.crdSet}" is not an earlier crds set` });
    }
    if (set.template && set.templateFile) problems.push({ path: ['seed', i], message: 'use template or templateFile, not both' });
    setNames.push(name);
  });
  (experiment.faults ?? []).forEach((fault, i) => {
    if (typeof fault.set === 'string' && !setNames.includes(fault.set)) problems.push({ path: ['faults', i, 'set'], message: `no seed set named "${fault.set}"` });
  });
  problems.push(...providerProblems(experiment));
  experiment.hypotheses.forEach((hypothesis, i) => {
    if ('builtin' in hypothesis) {
      if (hypothesis.builtin === 'ready-within' && !hypothesis.within) problems.push({ path: ['hypotheses', i], message: 'ready-within needs within: (a duration)' });
      for (const [j, set] of (hypothesis.sets ?? []).entries()) {
        if (!setNames.includes(set)) problems.push({ path: ['hypotheses', i, 'sets', j], message: `no seed set named "${set}"` });
      }
    }
  });
  return problems;
}

/** Parses and validates one experiment file; every problem is reported with its file:line:column. */
export async function loadExperiment(file: string): Promise<LoadedExperiment> {
  const display = file;
  let source: string;
  try {
    source = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new ExperimentError([`${display}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let document: unknown;
  let root: NodePosition | undefined;
  try {
    ({ value: document, root } = parseWithPositions(source, display));
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark as { line: number; column: number } | undefined;
      throw new ExperimentError([`${display}:${(mark?.line ?? 0) + 1}:${(mark?.column ?? 0) + 1}: invalid YAML: ${error.reason}`]);
    }
    throw error;
  }
  const at = (segments: (string | number)[], atKey = false) => {
    const { line, column } = locate(root, segments, atKey);
    return `${display}:${line}:${column}`;
  };
  const located = schemaProblems(document).map((p) => ({ ...locate(root, p.path, p.atKey), text: `${pathText(p.path)}: ${p.message}` }));
  located.sort((a, b) => a.line - b.line || a.column - b.column);
  const problems = located.map((p) => `${display}:${p.line}:${p.column}: ${p.text}`);
  if (problems.length === 0) {
    for (const p of crossReferenceProblems(document as Experiment)) problems.push(`${at(p.path)}: ${pathText(p.path)}: ${p.message}`);
  }
  if (problems.length) throw new ExperimentError(problems);
  return { file: path.resolve(file), dir: path.dirname(path.resolve(file)), experiment: document as Experiment };
}
