import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { UsageError } from '../errors.js';
import { parseBytes } from '../units.js';
import { locate, parseWithPositions, type NodePosition } from './positions.js';
import type { Experiment, MetricHypothesisSpec } from './schema.js';
import type { Catalog } from '../core/catalog.js';
import type { Capability, Problem } from '../core/plugin.js';
import { documentLimits, documentProblem, templateProblems } from './limits.js';
import { featureGateProblems } from './feature-gate-problems.js';
import { experimentLimitsExceeded } from './object-limits.js';

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
  /** The plugins it was checked against; variants and capacity values are checked against them again. */
  catalog: Catalog;
  /** "file:line:column: warning: ..." for what is valid but worth knowing: object counts past the documented limits. */
  warnings: string[];
}

function pathText(segments: (string | number)[]): string {
  return segments.reduce<string>((text, s) => (typeof s === 'number' ? `${text}[${s}]` : text ? `${text}.${s}` : s), '') || '(document)';
}

const capabilityText: Record<Capability, string> = {
  processes: "the control plane's processes",
  'node-containers': 'the control-plane nodes as containers',
};

/** What the experiment's provider can do, against what its cluster settings, faults and hypotheses need. */
function providerProblems(experiment: Experiment, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  const name = experiment.cluster?.provider ?? 'local';
  const provider = catalog.providers.get(name);
  if (!provider) return [{ path: ['cluster', 'provider'], message: `no provider "${name}"` }];
  const takes = [...provider.settings, ...Object.keys(provider.schema ?? {})];
  for (const key of Object.keys(experiment.cluster ?? {})) {
    if (key !== 'provider' && !takes.includes(key))
      problems.push({ path: ['cluster', key], message: `${key} does not apply to the ${name} provider (it takes: ${takes.join(', ')})` });
  }
  problems.push(...(provider.validate?.(experiment.cluster ?? {}) ?? []));
  const lacks = (needs: readonly Capability[] | undefined) => (needs ?? []).filter((n) => !provider.capabilities.includes(n));
  (experiment.faults ?? []).forEach((fault, i) => {
    const needs = catalog.faults.get(fault.type)?.needs;
    if (lacks(needs).length)
      problems.push({
        path: ['faults', i, 'type'],
        message: `${fault.type} runs on the ${catalog
          .providersWith(needs)
          .map((p) => p.name)
          .join(' or ')} provider only, not ${name}`,
      });
  });
  experiment.hypotheses.forEach((h, i) => {
    const missing = 'builtin' in h ? lacks(catalog.hypotheses.get(h.builtin)?.needs) : [];
    if (missing.length)
      problems.push({
        path: ['hypotheses', i, 'builtin'],
        message: `${'builtin' in h ? h.builtin : ''} needs to see ${missing.map((m) => capabilityText[m]).join(' and ')}; the ${name} provider cannot (use a metric hypothesis instead)`,
      });
  });
  return problems;
}

/** Checks the schema cannot express: references between entries. */
function crossReferenceProblems(experiment: Experiment, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  const setNames: string[] = [];
  (experiment.seed ?? []).forEach((set, i) => {
    const name = set.name ?? set.kind;
    if (setNames.includes(name)) problems.push({ path: ['seed', i], message: `seed set name "${name}" is used twice; give one a name:` });
    if (set.kind === 'customresources' && !set.crdSet)
      problems.push({ path: ['seed', i], message: 'a customresources set needs crdSet: the name of an earlier crds set' });
    if (set.crdSet) {
      const target = (experiment.seed ?? []).slice(0, i).find((s) => (s.name ?? s.kind) === set.crdSet);
      if (!target || target.kind !== 'crds') problems.push({ path: ['seed', i, 'crdSet'], message: `"${set.crdSet}" is not an earlier crds set` });
    }
    if (set.onAgentNodes && set.kind !== 'pods') problems.push({ path: ['seed', i, 'onAgentNodes'], message: 'only pods are bound to nodes' });
    if (set.onAgentNodes && !(experiment.agents ?? []).length)
      problems.push({ path: ['seed', i, 'onAgentNodes'], message: 'no agents: declare agents: for the pods to be bound to their nodes' });
    if (set.template && set.templateFile) problems.push({ path: ['seed', i], message: 'use template or templateFile, not both' });
    // Each object carries this much data; etcd refuses requests over 1.5 MiB anyway.
    if (set.dataSize && parseBytes(set.dataSize) > 1024 * 1024) problems.push({ path: ['seed', i, 'dataSize'], message: 'at most 1Mi of data per object' });
    setNames.push(name);
  });
  (experiment.agents ?? []).forEach((agents, i) => {
    const parts = catalog.agents.get(agents.type)?.parts ?? {};
    for (const part of Object.keys(agents.parts ?? {}))
      if (!(part in parts))
        problems.push({
          path: ['agents', i, 'parts', part],
          message: `${agents.type} has no part "${part}" (it has: ${Object.keys(parts).join(', ') || 'none'})`,
        });
  });
  (experiment.faults ?? []).forEach((fault, i) => {
    if (typeof fault.set === 'string' && !setNames.includes(fault.set))
      problems.push({ path: ['faults', i, 'set'], message: `no seed set named "${fault.set}"` });
  });
  problems.push(...providerProblems(experiment, catalog), ...featureGateProblems(experiment));
  experiment.hypotheses.forEach((hypothesis, i) => {
    if ('builtin' in hypothesis) {
      for (const p of catalog.hypotheses.get(hypothesis.builtin)?.validate?.(hypothesis, experiment) ?? [])
        problems.push({ path: ['hypotheses', i, ...p.path], message: p.message });
    } else problems.push(...metricHypothesisProblems(hypothesis, experiment).map((p) => ({ ...p, path: ['hypotheses', i, ...p.path] })));
  });
  return problems;
}

/** A metric hypothesis reads either a recorded metric or a PromQL expression, and PromQL needs a Prometheus to ask. */
function metricHypothesisProblems(h: MetricHypothesisSpec, experiment: Experiment): Problem[] {
  if (h.metric === undefined && h.promql === undefined) return [{ path: [], message: 'a hypothesis needs metric: (a recorded series), promql: or builtin:' }];
  if (h.metric !== undefined && h.promql !== undefined) return [{ path: ['promql'], message: 'use metric or promql, not both' }];
  if (h.promql !== undefined && !h.prometheus && !experiment.metrics?.prometheus)
    return [{ path: ['promql'], message: 'a promql hypothesis needs prometheus: <url> here or metrics.prometheus for the experiment' }];
  if (h.prometheus && h.promql === undefined) return [{ path: ['prometheus'], message: 'prometheus: goes with promql:' }];
  return [];
}

/** Reads one file of at most `documentLimits.sourceBytes`; unreadable or too large is a problem with the file, exit 2. */
export async function readSource(file: string): Promise<string> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const stat = await handle.stat();
      // A device or a pipe (/dev/zero, a FIFO) would be read forever.
      if (!stat.isFile()) throw new ExperimentError([`${file}: not a regular file`]);
      const { size } = stat;
      if (size > documentLimits.sourceBytes)
        throw new ExperimentError([`${file}: the file is ${size} bytes; experiment files are at most ${documentLimits.sourceBytes}`]);
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof ExperimentError) throw error;
    throw new ExperimentError([`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
}

/** YAML to a value with positions; any failure of the parser (a syntax error, nesting that exhausts its stack) is a problem of the file. */
function parseSource(source: string, display: string): { document: unknown; root: NodePosition | undefined } {
  try {
    const { value, root } = parseWithPositions(source, display);
    return { document: value, root };
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark as { line: number; column: number } | undefined;
      throw new ExperimentError([`${display}:${(mark?.line ?? 0) + 1}:${(mark?.column ?? 0) + 1}: invalid YAML: ${error.reason}`]);
    }
    throw new ExperimentError([`${display}: invalid YAML: ${error instanceof RangeError ? 'nested too deeply' : String(error)}`]);
  }
}

/** Seed templates, inline or from templateFile (read now, so a missing one is exit 2 before any cluster starts). */
async function templateFileProblems(experiment: Experiment, dir: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [i, set] of (experiment.seed ?? []).entries()) {
    if (set.template) problems.push(...templateProblems(set.kind, set.template).map((p) => ({ path: ['seed', i, 'template', ...p.path], message: p.message })));
    if (!set.templateFile) continue;
    const file = path.resolve(dir, set.templateFile);
    let template: unknown;
    try {
      const { document } = parseSource(await readSource(file), file);
      const tooBig = documentProblem(document);
      if (tooBig) throw new ExperimentError([tooBig.message]);
      template = document;
    } catch (error) {
      problems.push({ path: ['seed', i, 'templateFile'], message: error instanceof ExperimentError ? error.problems.join('; ') : String(error) });
      continue;
    }
    for (const p of templateProblems(set.kind, template))
      problems.push({ path: ['seed', i, 'templateFile'], message: `${set.templateFile}: ${pathText(p.path)}: ${p.message}` });
  }
  return problems;
}

/** Parses and validates one experiment file; every problem is reported with its file:line:column. */
export async function loadExperiment(file: string, catalog: Catalog): Promise<LoadedExperiment> {
  return loadExperimentSource(await readSource(file), file, catalog);
}

/**
 * The same from the file's text: whatever the text, this ends with the experiment or an
 * ExperimentError (exit 2), bounded in time and memory (documentLimits).
 */
export async function loadExperimentSource(source: string, file: string, catalog: Catalog): Promise<LoadedExperiment> {
  const display = file;
  if (Buffer.byteLength(source) > documentLimits.sourceBytes)
    throw new ExperimentError([`${display}: experiment files are at most ${documentLimits.sourceBytes} bytes`]);
  const { document, root } = parseSource(source, display);
  const at = (segments: (string | number)[], atKey = false) => {
    const { line, column } = locate(root, segments, atKey);
    return `${display}:${line}:${column}`;
  };
  const tooBig = documentProblem(document);
  if (tooBig) throw new ExperimentError([`${at(tooBig.path)}: ${pathText(tooBig.path)}: ${tooBig.message}`]);
  const located = catalog.schemaProblems(document).map((p) => ({ ...locate(root, p.path, p.atKey), text: `${pathText(p.path)}: ${p.message}` }));
  located.sort((a, b) => a.line - b.line || a.column - b.column);
  const problems = located.map((p) => `${display}:${p.line}:${p.column}: ${p.text}`);
  const dir = path.dirname(path.resolve(file));
  if (problems.length === 0) {
    const experiment = document as Experiment;
    for (const p of [...crossReferenceProblems(experiment, catalog), ...(await templateFileProblems(experiment, dir))])
      problems.push(`${at(p.path)}: ${pathText(p.path)}: ${p.message}`);
  }
  if (problems.length) throw new ExperimentError(problems);
  const experiment = document as Experiment;
  const warnings = experimentLimitsExceeded(experiment).map((w) => `${at(w.path)}: warning: ${w.path.length ? `${pathText(w.path)}: ` : ''}${w.message}`);
  return { file: path.resolve(file), dir, experiment, catalog, warnings };
}
