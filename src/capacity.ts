import { runnerAdvice } from './run/saturation.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { messageOf, UsageError } from './errors.js';
import { loadExperiment, type LoadedExperiment } from './experiment/load.js';
import type { Catalog } from './core/catalog.js';
import { modelOfRuns, writeModel } from './model/write.js';
import { runExperiment } from './run/run.js';
import { createRunOutput } from './ui/run-output.js';
import { expandVariants, parsePath } from './variants.js';
import type { RunStatus } from './report/summary.js';

export interface CapacityOptions {
  file: string;
  /** The plugins the experiment is checked against and run with. */
  catalog: Catalog;
  /** Path into the experiment, e.g. seed[0].count or faults[1].clients; several, comma-separated, all take the value. */
  vary: string;
  from: number;
  to: number;
  repeat: number;
  /** Bisection stops once the limit is known to within this much (default 1). */
  resolution?: number;
  resultsRoot: string;
  signal: AbortSignal;
  binDir?: string;
  /** One of the experiment's variants to search in, instead of the base experiment. */
  variant?: string;
  log: (line: string) => void;
}

export interface Trial {
  value: number;
  holds: boolean;
  /** It failed while the runner itself was saturated: no verdict on the control plane. */
  runnerLimited?: string[];
  runs: TrialRun[];
}

export interface TrialRun {
  runId: string;
  status: RunStatus;
  deviated: string[];
  /** It failed with the runner saturated and was run once more; the second run counts instead. */
  superseded?: boolean;
}

export interface CapacityResult {
  experiment: string;
  variant?: string;
  vary: string;
  trials: Trial[];
  /** The largest value that held; undefined if even `from` failed. */
  limit?: number;
  /** The smallest value that failed; undefined if `to` held. */
  firstFailing?: number;
  /** The hypothesis that deviated at the smallest failing value. */
  brokeFirst?: string;
  /** The value where the search stopped because the runner, not the control plane, ran out: why, and what to do. */
  inconclusive?: { value: number; reasons: string[]; advice: string };
}

/** A copy of the experiment with `value` at every path (a count and the threshold that must follow it). */
function withValue(loaded: LoadedExperiment, paths: (string | number)[][], value: number, vary: string): LoadedExperiment {
  const experiment = structuredClone(loaded.experiment) as unknown as Record<string | number, unknown>;
  for (const segments of paths) {
    let node: Record<string | number, unknown> = experiment;
    for (const segment of segments.slice(0, -1)) {
      const next = node[segment];
      if (typeof next !== 'object' || next === null) throw new UsageError(`--vary ${vary}: ${String(segment)} does not exist in ${loaded.file}`);
      node = next as Record<string | number, unknown>;
    }
    const last = segments[segments.length - 1]!;
    if (typeof node[last] !== 'number') throw new UsageError(`--vary ${vary}: ${segments.join('.')} is not a number in ${loaded.file}`);
    node[last] = value;
  }
  const problems = loaded.catalog.schemaProblems(experiment);
  if (problems.length) throw new UsageError(`--vary ${vary}=${value} makes the experiment invalid: ${problems[0]!.message}`);
  return { ...loaded, experiment: experiment as unknown as LoadedExperiment['experiment'] };
}

function selectVariant(loaded: LoadedExperiment, name: string | undefined): LoadedExperiment {
  const variants = expandVariants(loaded);
  if (name === undefined) {
    const base = structuredClone(loaded.experiment);
    delete base.variants;
    return { ...loaded, experiment: base };
  }
  const chosen = variants.find((v) => v.name === name);
  if (!chosen) throw new UsageError(`--variant ${name}: ${loaded.file} declares ${variants.length ? variants.map((v) => v.name).join(', ') : 'no variants'}`);
  return chosen.loaded;
}

/** One run of the experiment with `value`, on a fresh cluster. */
async function runOnce(
  options: CapacityOptions,
  loaded: LoadedExperiment,
  paths: (string | number)[][],
  value: number,
  index: number,
): Promise<TrialRun & { runnerSaturated?: string[] }> {
  const runId = `${options.vary.split(',')[0]!.replace(/[^\w]+/g, '-')}-${value}-${index}`;
  const { summary } = await runExperiment({
    loaded: withValue(loaded, paths, value, options.vary),
    variant: options.variant,
    resultsRoot: options.resultsRoot,
    runId,
    signal: options.signal,
    binDir: options.binDir,
    output: createRunOutput('quiet'),
  });
  if (summary.status === 'interrupted') throw new UsageError('interrupted');
  if (summary.status === 'error') options.log(`capacity: run ${runId} failed: ${summary.message ?? ''}`);
  return {
    runId,
    status: summary.status,
    deviated: summary.verdicts.filter((v) => v.status !== 'held').map((v) => v.name),
    ...(summary.runner?.saturated ? { runnerSaturated: summary.runner.reasons } : {}),
  };
}

/**
 * The largest value of one scale parameter for which every hypothesis holds:
 * doubling from `from` until a value fails (or `to`), then bisecting between the
 * last value that held and the first that failed. Every value runs `repeat` times,
 * each on a fresh cluster, and holds only if every repetition passed. A repetition that
 * failed with the runner saturated runs once more; saturated again, the search stops there.
 */
export async function capacitySearch(options: CapacityOptions): Promise<CapacityResult> {
  if (!(options.from >= 1 && options.to >= options.from)) throw new UsageError('--from and --to must be whole numbers with 1 <= from <= to');
  const loaded = await selectVariant(await loadExperiment(options.file, options.catalog), options.variant);
  const paths = options.vary.split(',').map((p) => parsePath(p.trim()));
  withValue(loaded, paths, options.from, options.vary);
  const trials: Trial[] = [];

  const trial = async (value: number): Promise<Trial> => {
    const runs: (TrialRun & { runnerSaturated?: string[] })[] = [];
    let runnerLimited: string[] | undefined;
    for (let r = 0; r < options.repeat; r++) {
      options.log(`capacity: ${options.vary}=${value} (repeat ${r + 1}/${options.repeat})`);
      let run = await runOnce(options, loaded, paths, value, runs.length + 1);
      runs.push(run);
      if (run.status !== 'passed' && run.runnerSaturated) {
        // One stall of a shared host can push a short window's lag p99 past 100 ms; a runner
        // that really ran out runs out again. Only a second saturated failure is inconclusive.
        options.log(`capacity: ${run.runId} failed with the runner saturated; running it once more before calling it inconclusive`);
        run.superseded = true;
        run = await runOnce(options, loaded, paths, value, runs.length + 1);
        runs.push(run);
      }
      if (run.status !== 'passed') {
        runnerLimited = run.runnerSaturated;
        break;
      }
    }
    const counted = runs.filter((run) => !run.superseded);
    const result: Trial = {
      value,
      holds: counted.every((run) => run.status === 'passed'),
      runs: runs.map(({ runnerSaturated: _, ...run }) => run),
      ...(runnerLimited ? { runnerLimited } : {}),
    };
    trials.push(result);
    options.log(`capacity: ${options.vary}=${value} ${trialText(result)}`);
    return result;
  };

  let good: number | undefined;
  let bad: number | undefined;
  // A failure of the runner's own making ends the search: above it nothing measured says anything of the control plane.
  let inconclusive: Trial | undefined;
  for (let value = options.from; ; value = Math.min(options.to, value * 2)) {
    const result = await trial(value);
    if (result.holds) good = value;
    else if (result.runnerLimited) inconclusive = result;
    else bad = value;
    if (!result.holds || value >= options.to) break;
  }
  while (!inconclusive && good !== undefined && bad !== undefined && bad - good > Math.max(1, options.resolution ?? 1)) {
    const middle = Math.floor((good + bad) / 2);
    const result = await trial(middle);
    if (result.holds) good = middle;
    else if (result.runnerLimited) inconclusive = result;
    else bad = middle;
  }
  const failing = trials.find((t) => t.value === bad);
  return {
    experiment: loaded.experiment.metadata.name,
    ...(options.variant ? { variant: options.variant } : {}),
    vary: options.vary,
    trials: trials.sort((a, b) => a.value - b.value),
    limit: good,
    firstFailing: bad,
    brokeFirst: failing?.runs.at(-1)?.deviated[0] ?? failing?.runs.at(-1)?.status,
    ...(inconclusive ? { inconclusive: { value: inconclusive.value, reasons: inconclusive.runnerLimited!, advice: runnerAdvice } } : {}),
  };
}

function trialText(trial: Trial): string {
  if (trial.holds) return 'holds';
  if (trial.runnerLimited) return `inconclusive: the runner was saturated (${trial.runnerLimited.join('; ')})`;
  return `deviates (${trial.runs.at(-1)?.deviated.join(', ') || trial.runs.at(-1)?.status})`;
}

export function capacityMarkdown(result: CapacityResult): string {
  const lines = [
    `# Capacity of ${result.experiment}${result.variant ? ` (${result.variant})` : ''} in ${result.vary}`,
    '',
    '| value | verdict | runs |',
    '|---|---|---|',
  ];
  for (const t of result.trials) {
    lines.push(
      `| ${t.value} | ${t.holds ? 'holds' : t.runnerLimited ? '*inconclusive (runner saturated)*' : '**deviates**'} | ${t.runs.map((r) => `\`${r.runId}\` ${r.status}${r.deviated.length ? ` (${r.deviated.join(', ')})` : ''}${r.superseded ? ', runner saturated: run again' : ''}`).join('; ')} |`,
    );
  }
  lines.push('');
  const stopped = result.inconclusive;
  if (stopped)
    lines.push(
      `Inconclusive at ${result.vary}=${stopped.value}: the runner itself was saturated (${stopped.reasons.join('; ')}), so that failure says nothing of the control plane${result.limit === undefined ? '' : `; ${result.limit} holds`}. To measure further: ${stopped.advice}.`,
    );
  else if (result.limit === undefined) lines.push(`Even ${result.vary}=${result.trials[0]?.value} deviates: the limit is below the range searched.`);
  else if (result.firstFailing === undefined) lines.push(`Every value up to ${result.limit} holds: the limit is at or above the range searched.`);
  else lines.push(`Limit: ${result.vary}=${result.limit} holds, ${result.firstFailing} deviates; the hypothesis that broke first: ${result.brokeFirst}.`);
  return `${lines.join('\n')}\n`;
}

/**
 * capacity.json and capacity.md, and the model of the search's runs (model.md, .json, .html):
 * capacity.md gets the model's section. Returns capacity.md's text.
 */
export async function writeCapacity(dir: string, result: CapacityResult): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'capacity.json'), `${JSON.stringify(result, null, 2)}\n`);
  let text = capacityMarkdown(result);
  const distinct = new Set(result.trials.map((t) => t.value));
  if (distinct.size >= 2) {
    // The search's answer stands without the model: a model that cannot be fitted is a note, not a failure.
    try {
      // The parameter is read back from the capacity.json just written, as `cpchaos model` reads it.
      const model = await modelOfRuns([dir], {});
      text += `\n${await writeModel(dir, model, `Model of ${model.describes}: ${result.experiment}${result.variant ? ` (${result.variant})` : ''}`)}`;
    } catch (error) {
      text += `\nModel not fitted: ${messageOf(error)}\n`;
    }
  }
  await fs.writeFile(path.join(dir, 'capacity.md'), text);
  return text;
}
