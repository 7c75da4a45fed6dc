import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isDirectory, pathExists } from '../util/paths.js';
import type { Experiment } from '../experiment/schema.js';
import { loadRunData, type RunData } from '../report/run-data.js';
import { parsePath } from '../variants.js';
import { observables } from './observables.js';

export interface ModelRun {
  x: number;
  /** The second parameter's value, when the model has one. */
  s?: number;
  run: RunData;
}

/** Run folders under the paths given: each is a run folder, or a folder of them (a capacity search). */
export async function runFolders(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) {
    if (await pathExists(path.join(p, 'summary.json'))) found.push(p);
    else if (await isDirectory(p)) {
      const children = (await fs.readdir(p)).sort().map((name) => path.join(p, name));
      for (const child of children) if (await pathExists(path.join(child, 'summary.json'))) found.push(child);
    } else throw new UsageError(`${p} is neither a run folder nor a folder of runs`);
  }
  if (!found.length) throw new UsageError(`no run folders (with a summary.json) in ${paths.join(', ')}`);
  return found;
}

/** The `vary` of the first capacity search among the paths: the default parameter. */
export async function capacityParameter(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    const text = await fs.readFile(path.join(p, 'capacity.json'), 'utf8').catch(() => undefined);
    if (text) return ((JSON.parse(text) as { vary: string }).vary ?? '').split(',')[0]!.trim();
  }
  return undefined;
}

export function valueAt(experiment: Experiment, parameter: string): unknown {
  let node: unknown = experiment;
  for (const segment of parsePath(parameter)) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[segment] : undefined;
  return node;
}

const numberAt = (dir: string, experiment: Experiment, parameter: string): number => {
  const value = valueAt(experiment, parameter);
  if (typeof value !== 'number') throw new UsageError(`${dir}: ${parameter} is not a number in the experiment it ran`);
  return value;
};

/** Every run folder with the parameter's (and the scale's) value in the experiment it ran (experiment.json). */
export async function loadModelRuns(folders: string[], parameter: string, scaleWith?: string): Promise<ModelRun[]> {
  const wanted = new Set(observables.flatMap((o) => o.metrics));
  const runs: ModelRun[] = [];
  for (const dir of folders) {
    const run = await loadRunData(dir, () => (metric) => wanted.has(metric));
    if (!run.experiment) throw new UsageError(`${dir} has no experiment.json: written by an older cpchaos, its parameter value is unknown`);
    const x = numberAt(dir, run.experiment, parameter);
    runs.push({ x, ...(scaleWith === undefined ? {} : { s: numberAt(dir, run.experiment, scaleWith) }), run });
  }
  return runs.sort((a, b) => a.x - b.x);
}

/** "faults[0].clients (list-flood of pods)": the parameter in the experiment's own terms. */
export function describeParameter(experiment: Experiment | undefined, parameter: string): string {
  const segments = parsePath(parameter);
  const [list, index] = segments;
  const entry = experiment && typeof index === 'number' ? (experiment as unknown as Record<string, unknown[]>)[String(list)]?.[index] : undefined;
  if (!entry || typeof entry !== 'object') return parameter;
  const e = entry as Record<string, unknown>;
  const what = [e.type, e.kind, e.resource ? `of ${String(e.resource)}` : undefined].filter((w) => typeof w === 'string').join(' ');
  return what ? `${parameter} (${what})` : parameter;
}
