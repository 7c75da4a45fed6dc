import { createdResources } from '../experiment/access.js';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ClusterProvider } from '../core/cluster.js';
import { AbortedError, CrashError, messageOf } from '../errors.js';
import type { LoadedExperiment } from '../experiment/load.js';
import { evaluate, passed } from '../hypotheses/evaluate.js';
import type { Sink } from '../core/sample.js';
import { writeRunReport } from '../report/html.js';
import { writeJunit } from '../report/junit.js';
import { writeMarkdown } from '../report/markdown.js';
import { experimentRecordFile } from '../report/run-data.js';
import { writeSummary, type Summary } from '../report/summary.js';
import { createRunOutput, type RunOutput } from '../ui/run-output.js';
import { CleanupStack } from './cleanup.js';
import type { RunContext } from './context.js';
import { eventWriter, phaseWriter, type EventFn } from './journal.js';
import { injectAndObserve } from './phases/inject.js';
import { seedObjects, startAgents } from './phases/load.js';
import { provision } from './phases/provision.js';
import { startRecording } from './phases/record.js';
import { recoverAndVerify } from './phases/recover.js';
import { checkSteadyState } from './phases/steady-state.js';
import { clusterSpec, runIdFor } from './spec.js';
import { evaluationContext, newRunState, type RunState } from './state.js';
import { buildSummary } from './summary.js';

export { runIdFor };

export interface RunOptions {
  /** The experiment, loaded and checked against its catalog (and changed, by a variant or a capacity search). */
  loaded: LoadedExperiment;
  resultsRoot?: string;
  runId?: string;
  signal: AbortSignal;
  binDir?: string;
  /** Where the run reports as it goes; plain timestamped lines on stderr by default. */
  output?: RunOutput;
  /** The variant this run is, for its summary. */
  variant?: string;
  /** Sink settings from the command line, by sink name, overriding the experiment's `metrics.<name>` (--influxdb). */
  sinkConfig?: Record<string, unknown>;
  /** The user's consent to run against an existing cluster: its exact context (--target-existing). */
  targetExisting?: string;
  /** The user's consent to run sharded agents on a load cluster: its exact context (--load-cluster). */
  loadCluster?: string;
  /** The provider to use instead of the experiment's (a test's fake one). */
  provider?: ClusterProvider;
}

export interface RunOutcome {
  dir: string;
  summary: Summary;
}

function initialState(options: RunOptions, runId: string, dir: string): RunState {
  const { experiment, file } = options.loaded;
  const spec = clusterSpec(experiment, options.binDir);
  return newRunState({ runId, dir, experiment, file: path.relative(process.cwd(), file), variant: options.variant, spec, startedAt: Date.now() });
}

/** Opens the run folder, its sinks and its journal. */
async function openRun(options: RunOptions): Promise<RunContext> {
  const { experiment } = options.loaded;
  const runId = options.runId ?? runIdFor(experiment.metadata.name);
  const dir = path.resolve(options.resultsRoot ?? 'results', runId);
  await fs.mkdir(dir, { recursive: true });
  // The experiment as it runs (variant and capacity value applied): reports re-render from it. It holds no credential.
  await fs.writeFile(path.join(dir, experimentRecordFile), `${JSON.stringify(experiment, null, 2)}\n`);
  const output = options.output ?? createRunOutput('plain');
  const log = (line: string) => output.line(line);
  const state = initialState(options, runId, dir);
  const catalog = options.loaded.catalog;
  const sinks = catalog.plugins.sinks
    .map((p) => p.create({ runId, dir, experiment, variant: options.variant, config: options.sinkConfig?.[p.name] ?? experiment.metrics?.[p.name], log }))
    .filter((s): s is Sink => s !== undefined);
  const report = eventWriter(state, sinks, output);
  // The one place the checked form meets the loose one: both write the same record.
  const event = report as EventFn;
  const lost = new AbortController();
  const lose = (reason: string) => {
    state.lost ??= reason;
    lost.abort();
  };
  // Every wait of the run stops on Ctrl-C and when the cluster is lost.
  const signal = AbortSignal.any([options.signal, lost.signal]);
  setMaxListeners(0, signal);
  return {
    state,
    loaded: options.loaded,
    catalog,
    loadCluster: options.loadCluster,
    signal,
    lose,
    output,
    sinks,
    cleanup: new CleanupStack(),
    event,
    report,
    phase: phaseWriter(state, event),
    log,
  };
}

/** The phases until teardown; each returns early by throwing (Ctrl-C, infrastructure) or by the run's status. */
async function runPhases(run: RunContext, provider: ClusterProvider): Promise<void> {
  await provision(run, provider);
  startRecording(run);
  await seedObjects(run);
  await startAgents(run);
  if (!(await checkSteadyState(run))) return;
  await injectAndObserve(run);
  await recoverAndVerify(run);
  if (run.state.faultErrors.length) {
    run.state.status = 'error';
    run.state.message = `faults could not be injected: ${run.state.faultErrors.join('; ')}`;
  }
}

function recordFailure(run: RunContext, error: unknown): void {
  const { state } = run;
  const cannotGoOn = state.lost ?? crashOf(run);
  if (cannotGoOn) {
    state.status = 'error';
    state.message = cannotGoOn;
  } else if (error instanceof AbortedError || run.signal.aborted) {
    state.status = 'interrupted';
    state.message = 'interrupted (Ctrl-C or SIGTERM); results cover the run until then';
  } else {
    state.status = 'error';
    state.message = messageOf(error);
  }
  run.event(state.status, state.message);
}

/** What a crash of cpchaos (an exception nothing caught) stopped the run with, if one did. */
function crashOf(run: RunContext): string | undefined {
  const { reason } = run.signal;
  return reason instanceof CrashError ? reason.message : undefined;
}

/** A crash that came while no phase was failing, during teardown say, still fails the run. */
function recordLateCrash(run: RunContext): void {
  const crash = crashOf(run);
  if (!crash || run.state.status === 'error') return;
  run.state.status = 'error';
  run.state.message = crash;
  run.event('error', crash);
}

/** teardown: the cluster reports what is still in flight, then everything acquired is released, last first. */
async function teardown(run: RunContext): Promise<void> {
  if (!run.signal.aborted) await run.state.cluster?.settle?.().catch(() => undefined);
  run.phase('teardown');
  await run.cleanup.unwind((_name, error) => run.event('teardown-error', messageOf(error)));
  run.phase('');
}

/** Judges every hypothesis over the journal; a run that got this far without trouble deviates if one did not hold. */
function judge(run: RunContext): void {
  const { state, catalog } = run;
  state.verdicts = state.experiment.hypotheses.map((h) => evaluate(h, evaluationContext(state), catalog.hypotheses));
  if (state.status === 'passed' && state.verdicts.some((v) => !passed(v))) state.status = 'deviated';
}

async function writeResults(run: RunContext): Promise<Summary> {
  for (const sink of run.sinks) await sink.close().catch((error: unknown) => run.log(`${sink.name}: ${messageOf(error)}`));
  const summary = buildSummary(
    run.state,
    Date.now(),
    run.sinks.map((s) => s.summary?.() ?? {}),
  );
  const { dir } = run.state;
  await writeSummary(dir, summary);
  const files = { summary: JSON.stringify(summary), experiment: JSON.stringify(run.state.experiment) };
  for (const sink of run.sinks)
    await sink.recordRun?.(files).catch((error: unknown) => run.log(`${sink.name}: the run's record not written: ${messageOf(error)}`));
  await writeMarkdown(dir, summary);
  await writeJunit(dir, summary);
  await writeRunReport(dir).catch((error: unknown) => run.log(`report.html not written: ${messageOf(error)}`));
  return summary;
}

/**
 * One experiment, phase by phase: provision -> seed -> agents -> steady state -> inject ->
 * observe -> recover -> verify -> teardown. Teardown and the result files happen
 * whatever goes wrong, including Ctrl-C.
 */
export async function runExperiment(options: RunOptions): Promise<RunOutcome> {
  // Every concurrent wait (seeding workers, LIST clients) listens on this one signal.
  setMaxListeners(0, options.signal);
  const run = await openRun(options);
  try {
    const provider = options.provider ?? providerOf(run, options);
    await runPhases(run, provider);
  } catch (error) {
    recordFailure(run, error);
  } finally {
    await teardown(run);
  }
  recordLateCrash(run);
  judge(run);
  const summary = await writeResults(run);
  if (!options.output) run.output.close();
  return { dir: run.state.dir, summary };
}

function providerOf(run: RunContext, options: RunOptions): ClusterProvider {
  const config = run.state.experiment.cluster ?? {};
  const plugin = run.catalog.providers.get(config.provider ?? 'local');
  if (!plugin) throw new Error(`no provider "${config.provider}"`);
  return plugin.create(config, {
    runId: run.state.runId,
    targetExisting: options.targetExisting,
    creates: createdResources(run.state.experiment, run.catalog),
  });
}
