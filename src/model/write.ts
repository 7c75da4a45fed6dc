import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { parseBytes, parseDuration } from '../units.js';
import { writeModelHtml } from './html.js';
import { modelMarkdown } from './markdown.js';
import { buildModel, type ModelOptions, type ModelResult } from './model.js';
import { observableNamed, observables } from './observables.js';
import { capacityParameter, loadModelRuns, runFolders } from './runs.js';

/** "apiserver-memory=32Gi" or "list-p99=30s" → the observable's name and the value in its unit. */
export function parseLimit(text: string): [string, number] {
  const [name, value] = text.split('=', 2);
  const observable = observableNamed(name ?? '');
  if (!observable || !value) throw new UsageError(`--limit ${text}: expected NAME=VALUE with NAME one of ${observables.map((o) => o.name).join(', ')}`);
  if (observable.unit === 'bytes') return [observable.name, parseBytes(value)];
  if (observable.unit === 'seconds') return [observable.name, parseDuration(value) / 1000];
  return [observable.name, Number(value)];
}

export interface ModelCommandOptions extends Omit<ModelOptions, 'parameter'> {
  parameter?: string;
}

/** Loads the runs under `paths` and fits the model; the parameter defaults to the capacity search's. */
export async function modelOfRuns(paths: string[], options: ModelCommandOptions): Promise<ModelResult> {
  const folders = await runFolders(paths);
  const parameter = options.parameter ?? (await capacityParameter(paths));
  if (!parameter) throw new UsageError('--x <path> is needed: no capacity.json among the paths names the parameter that was varied');
  return buildModel(await loadModelRuns(folders, parameter, options.scaleWith), { ...options, parameter });
}

/** model.md, model.json and model.html (charts) into `dir`; returns the markdown. */
export async function writeModel(dir: string, result: ModelResult, title: string): Promise<string> {
  const markdown = modelMarkdown(result);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'model.md'), markdown);
  await fs.writeFile(path.join(dir, 'model.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeModelHtml(result, markdown, path.join(dir, 'model.html'), title);
  return markdown;
}
