import path from 'node:path';
import type { Catalog } from '../core/catalog.js';
import type { Problem } from '../core/plugin.js';
import { UsageError } from '../errors.js';
import { rulesFor, type ApiAccess, type PolicyRule } from '../core/access.js';
import { experimentAccess } from '../experiment/access.js';
import { ExperimentError, loadExperimentSource, readSource } from '../experiment/load.js';
import { locate, parseWithPositions } from '../experiment/positions.js';
import type { Experiment } from '../experiment/schema.js';

export interface Schedulable {
  context: string;
  rules: PolicyRule[];
  /** ConfigMap key (the file's name) -> the file's text. */
  experiments: Record<string, string>;
}

/** What keeps an experiment from running as a Job inside the cluster it targets, beside its access problems. */
function scheduleProblems(experiment: Experiment): Problem[] {
  const problems: Problem[] = [];
  if (experiment.cluster?.provider !== 'existing')
    problems.push({
      path: ['cluster', 'provider'],
      message: `a scheduled run measures the cluster it runs in: provider must be existing (is ${experiment.cluster?.provider ?? 'local'})`,
    });
  (experiment.seed ?? []).forEach((set, i) => {
    if (set.templateFile)
      problems.push({ path: ['seed', i, 'templateFile'], message: 'only the experiment goes into the ConfigMap: put the template inline (template:)' });
  });
  (experiment.agents ?? []).forEach((agents, i) => {
    if (agents.placement)
      problems.push({ path: ['agents', i, 'placement'], message: 'a scheduled run keeps its agents in its own pod; placement is for runs from outside' });
  });
  return problems;
}

/**
 * Loads and checks the experiments for `cpchaos schedule`: each valid, each runnable
 * in a pod of the cluster it targets, all targeting one context; problems as file:line.
 */
export async function schedulable(files: string[], catalog: Catalog): Promise<Schedulable> {
  const experiments: Record<string, string> = {};
  const loaded: Experiment[] = [];
  const accesses: ApiAccess[] = [];
  const errors: string[] = [];
  for (const file of files) {
    // Read once: the ConfigMap carries the very text that was checked.
    const source = await readSource(file);
    const { experiment } = await loadExperimentSource(source, file, catalog);
    const { root } = parseWithPositions(source, file);
    const access = experimentAccess(experiment, catalog);
    accesses.push(...access.accesses);
    for (const p of [...scheduleProblems(experiment), ...access.problems]) {
      const { line, column } = locate(root, p.path);
      errors.push(`${file}:${line}:${column}: ${p.path.join('.')}: ${p.message}`);
    }
    const key = path.basename(file);
    if (key in experiments) errors.push(`${file}: another experiment is named ${key} too; the ConfigMap keys them by file name`);
    experiments[key] = source;
    loaded.push(experiment);
  }
  if (errors.length) throw new ExperimentError(errors);
  const contexts = [...new Set(loaded.map((e) => String(e.cluster?.context)))];
  if (contexts.length > 1) throw new UsageError(`the experiments target ${contexts.join(', ')}; one schedule runs in one cluster, so give them one context`);
  return { context: contexts[0]!, rules: rulesFor(accesses), experiments };
}
