import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isDirectory, pathExists } from '../util/paths.js';
import type { Experiment } from '../experiment/schema.js';
import type { CapacityResult } from '../capacity.js';
import { loadRunData, type RunData } from '../report/run-data.js';
import type { RunStatus } from '../report/summary.js';
import { historyFigures, verdictFigure, type HistoryFigure } from './figures.js';

/** One point of a history: a run, or a capacity search (its limit). */
export interface HistoryEntry {
  id: string;
  dir: string;
  kind: 'run' | 'capacity';
  startedAt: string;
  /** Experiment name and variant: the history a point belongs to. */
  experiment: string;
  variant?: string;
  status: RunStatus | 'search';
  kubernetesVersion?: string;
  cpchaosVersion?: string;
  /** The experiment as it ran, to say what changed between two runs (a search's runs each vary the parameter, so none). */
  ran?: Experiment;
  /** Figure name -> value; a run that errored or was interrupted measures nothing. */
  values: Record<string, number | undefined>;
  capacity?: Pick<CapacityResult, 'vary' | 'limit' | 'firstFailing' | 'brokeFirst' | 'inconclusive'>;
}

export const capacityFigure: HistoryFigure = {
  name: 'capacity-limit',
  title: 'capacity limit found',
  unit: 'count',
  worse: 'lower',
  // A bisection ends within its resolution; a tenth of the limit is past that for any search worth running.
  noise: { relative: 0.1, absolute: 0 },
  metrics: [],
  measure: () => undefined,
};

/** Run folders and capacity searches under the paths: each is one, or a results root of them (two levels at most). */
export async function findHistoryFolders(paths: string[]): Promise<{ runs: string[]; searches: string[] }> {
  const runs: string[] = [];
  const searches: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (await pathExists(path.join(dir, 'capacity.json'))) searches.push(dir);
    else if (await pathExists(path.join(dir, 'summary.json'))) runs.push(dir);
    else if (depth > 0 && (await isDirectory(dir))) for (const child of (await fs.readdir(dir)).sort()) await visit(path.join(dir, child), depth - 1);
  };
  for (const p of paths) {
    if (!(await isDirectory(p))) throw new UsageError(`${p} is not a folder of runs`);
    await visit(p, 2);
  }
  if (!runs.length && !searches.length) throw new UsageError(`no run folders (with a summary.json) or capacity searches in ${paths.join(', ')}`);
  return { runs, searches };
}

function measure(run: RunData): Record<string, number | undefined> {
  const { status, verdicts } = run.summary;
  if (status === 'error' || status === 'interrupted') return {};
  const figures = [...historyFigures, ...verdicts.map((v) => verdictFigure(v.name))];
  return Object.fromEntries(figures.map((f) => [f.name, f.measure(run)]));
}

/** The metrics the figures read: all a history needs of a run's samples. */
export const historyMetrics: ReadonlySet<string> = new Set(historyFigures.flatMap((f) => f.metrics));

export const runEntry = async (dir: string): Promise<HistoryEntry> => entryOf(await loadRunData(dir, () => (metric) => historyMetrics.has(metric)));

/** A run as a point of its history, from its summary, the experiment as it ran and its samples (a folder's, or InfluxDB's). */
export function entryOf(run: RunData): HistoryEntry {
  const { summary } = run;
  return {
    id: summary.runId,
    dir: run.dir,
    kind: 'run',
    startedAt: summary.startedAt,
    experiment: summary.experiment.name,
    ...(summary.experiment.variant ? { variant: summary.experiment.variant } : {}),
    status: summary.status,
    kubernetesVersion: summary.cluster?.kubernetesVersion,
    cpchaosVersion: summary.cpchaosVersion,
    ...(run.experiment ? { ran: run.experiment } : {}),
    values: measure(run),
  };
}

/** A capacity search as one point: its limit, timed and versioned by its first run. */
export async function searchEntry(dir: string): Promise<HistoryEntry> {
  const result = JSON.parse(await fs.readFile(path.join(dir, 'capacity.json'), 'utf8')) as CapacityResult;
  const firstRun = result.trials[0]?.runs[0]?.runId;
  const first = firstRun ? await loadRunData(path.join(dir, firstRun), () => () => false).catch(() => undefined) : undefined;
  const stat = await fs.stat(path.join(dir, 'capacity.json'));
  const { vary, limit, firstFailing, brokeFirst, inconclusive } = result;
  return {
    id: path.basename(dir),
    dir,
    kind: 'capacity',
    startedAt: first?.summary.startedAt ?? stat.mtime.toISOString(),
    experiment: result.experiment,
    ...(result.variant ? { variant: result.variant } : {}),
    status: 'search',
    kubernetesVersion: first?.summary.cluster?.kubernetesVersion,
    cpchaosVersion: first?.summary.cpchaosVersion,
    // An inconclusive search found the runner's limit, not the control plane's.
    values: { [capacityFigure.name]: inconclusive ? undefined : limit },
    capacity: { vary, limit, firstFailing, brokeFirst, inconclusive },
  };
}
