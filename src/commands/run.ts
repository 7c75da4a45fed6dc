import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { withInterrupt } from '../interrupt.js';
import type { Catalog } from '../core/catalog.js';
import type { LoadedExperiment } from '../experiment/load.js';
import type { Summary } from '../report/summary.js';
import type { RunOptions } from '../run/run.js';
import type { Variant } from '../variants.js';
import { binDirOption, note, write } from './shared.js';

function printVerdicts(summary: Summary, dir: string, json: boolean): void {
  if (json) {
    const { runId, experiment, status, exitCode, message, verdicts, influxdb, runner } = summary;
    write(
      JSON.stringify({
        type: 'result',
        runId,
        experiment: experiment.name,
        variant: experiment.variant,
        status,
        exitCode,
        message,
        dir,
        verdicts,
        runner,
        influxdb,
      }),
    );
    return;
  }
  for (const v of summary.verdicts)
    write(
      `${v.status === 'held' ? 'held    ' : v.status.toUpperCase().padEnd(8)} ${v.name}: ${v.observedText} (expected ${v.expected})${v.runnerSaturated ? `, while ${v.runnerSaturated}` : ''}`,
    );
  const name = summary.experiment.variant ? `${summary.experiment.name} (${summary.experiment.variant})` : summary.experiment.name;
  if (summary.runner?.saturated) write(`RUNNER   saturated while the faults ran: ${summary.runner.reasons.join('; ')}; ${summary.runner.advice ?? ''}`);
  write(`${summary.status}: ${name}${summary.message ? ` - ${summary.message}` : ''}`);
  const influx = summary.influxdb;
  if (influx)
    note(
      `influxdb ${influx.url}/${influx.database}: ${influx.written} points written, ${influx.dropped} dropped${influx.failedWrites ? ` (${influx.failedWrites} failed writes; last: ${influx.lastError ?? ''})` : ''}`,
    );
}

/** The exit code of several runs: interrupted beats infrastructure failure beats deviation. */
function worst(codes: number[]): number {
  for (const code of [ExitCode.interrupted, ExitCode.infrastructure, ExitCode.deviated]) if (codes.includes(code)) return code;
  return ExitCode.ok;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'run experiments, one after the other: provision, seed, steady state, faults, observe, recover, verify, teardown (each variant on a fresh cluster)',
    )
    .argument('<experiments...>', 'experiment YAML files, run one after the other')
    .option('--results <dir>', 'where run folders go', 'results')
    .option('--run-id <id>', 'name of the run folder (default: <timestamp>-<experiment name>)')
    .option('--quiet', 'print only the verdicts')
    .option('--json', 'print every event as a JSON line on stdout while running, then one "result" line per run (for scripts)')
    .option('--target-existing <context>', 'consent to run an experiment with provider: existing against that exact kubeconfig context')
    .option(
      '--load-cluster <context>',
      'consent to run sharded agents (agents[].placement.kubernetes) as a Job on the cluster of that exact kubeconfig context',
    )
    .option('--in-cluster', "inside a pod: the context --target-existing names is this pod's service account (for `cpchaos schedule`'s CronJob)")
    .option('--influxdb <url>', 'also send samples and events to InfluxDB 1.x: http://[user@]host:8086/database (password from CPCHAOS_INFLUXDB_PASSWORD)')
    .addOption(binDirOption())
    .addHelpText(
      'after',
      '\nExit codes (the worst of all experiments given): 0 every hypothesis held, 1 a hypothesis deviated (or not in steady state),\n2 invalid experiment file, 3 infrastructure failure or a crash of cpchaos, 130 interrupted.\nWith variants: the worst of the variants, and results/<run-id>/comparison.md and report.html\n(the variants overlaid) side by side. Each run folder has report.html, report.md, summary.json.',
    )
    .action((files: string[], flags: RunFlags) => runCommands(files, flags));
}

interface RunFlags {
  results: string;
  runId?: string;
  quiet?: boolean;
  json?: boolean;
  binDir?: string;
  influxdb?: string;
  targetExisting?: string;
  loadCluster?: string;
  inCluster?: boolean;
}

/** Sharded agents run on a cluster the user names: only with that exact context typed again, as for existing targets. */
function checkLoadConsent(loaded: LoadedExperiment, loadCluster: string | undefined): void {
  for (const agents of loaded.experiment.agents ?? []) {
    const context = agents.placement?.kubernetes.context;
    if (context === undefined || context === loadCluster) continue;
    throw new UsageError(
      loadCluster === undefined
        ? `this experiment runs ${agents.type} agents as a Job on the cluster of context "${context}"; to run it, pass --load-cluster ${context}`
        : `--load-cluster ${loadCluster} does not match the agents' placement context "${context}"; refusing`,
    );
  }
}

/** The provider's consent rule (--target-existing), before anything starts. */
function checkConsent(catalog: Catalog, loaded: LoadedExperiment, file: string, targetExisting: string | undefined): void {
  const cluster = loaded.experiment.cluster ?? {};
  const provider = catalog.providers.get(cluster.provider ?? 'local');
  if (provider?.checkConsent) return provider.checkConsent(cluster, targetExisting);
  if (!targetExisting) return;
  const asking = [...catalog.providers.values()].filter((p) => p.checkConsent).map((p) => p.name);
  throw new UsageError(`--target-existing is for experiments with provider: ${asking.join(' or ')}; ${file} runs on ${cluster.provider ?? 'local'}`);
}

/** Each experiment in turn (all of them checked first, so a typo in the last fails before the first runs); the exit code is the worst. */
async function runCommands(files: string[], flags: RunFlags): Promise<void> {
  if (files.length > 1 && flags.runId) throw new UsageError('--run-id names one run folder; give one experiment with it');
  if (flags.inCluster && !flags.targetExisting)
    throw new UsageError('--in-cluster needs --target-existing <context>: the name the experiments give the cluster');
  const { catalog } = await import('../plugins.js');
  const { loadExperiment } = await import('../experiment/load.js');
  const loaded: LoadedExperiment[] = [];
  for (const file of files) {
    const experiment = await loadExperiment(file, catalog);
    checkConsent(catalog, experiment, file, flags.targetExisting);
    checkLoadConsent(experiment, flags.loadCluster);
    experiment.warnings.forEach(note);
    loaded.push(experiment);
  }
  const identity = flags.inCluster ? await inClusterIdentity(loaded, flags.targetExisting!) : undefined;
  const codes: number[] = [];
  try {
    for (const experiment of loaded) {
      codes.push(await runCommand(experiment, flags));
      if (codes.at(-1) === ExitCode.interrupted) break;
    }
  } finally {
    await identity?.remove();
  }
  process.exitCode = worst(codes);
}

/** Points the experiments at a kubeconfig of this pod's service account, under the context name they already use. */
async function inClusterIdentity(loaded: LoadedExperiment[], context: string): Promise<{ remove(): Promise<void> }> {
  const { writeInClusterKubeconfig } = await import('../cluster/in-cluster.js');
  const identity = await writeInClusterKubeconfig(context);
  for (const { experiment } of loaded) experiment.cluster = { ...experiment.cluster, kubeconfig: identity.file };
  return identity;
}

/** One experiment (its variants, if it has any); returns its exit code. */
async function runCommand(loaded: LoadedExperiment, flags: RunFlags): Promise<number> {
  const { runExperiment } = await import('../run/run.js');
  const { expandVariants } = await import('../variants.js');
  const { parseInfluxFlag } = await import('../metrics/sinks/influxdb-config.js');
  const { createRunOutput, outputMode } = await import('../ui/run-output.js');
  const sinkConfig = flags.influxdb ? { influxdb: parseInfluxFlag(flags.influxdb) } : undefined;
  const output = createRunOutput(outputMode(flags));
  const common = { binDir: flags.binDir, output, sinkConfig, targetExisting: flags.targetExisting, loadCluster: flags.loadCluster };
  const variants = expandVariants(loaded);
  if (variants.length) return runVariants(loaded, variants, flags, common);
  const { dir, summary } = await withInterrupt((signal) => runExperiment({ loaded, resultsRoot: flags.results, runId: flags.runId, signal, ...common }), {
    resultTellsCrash: true,
  });
  output.close();
  printVerdicts(summary, dir, output.mode === 'json');
  if (output.mode !== 'json') note(`results: ${dir}`);
  return summary.exitCode;
}

/** Each variant on a fresh cluster, one after the other; then the comparison and the overlaid report. */
async function runVariants(
  loaded: LoadedExperiment,
  variants: Variant[],
  flags: RunFlags,
  common: Pick<RunOptions, 'binDir' | 'output' | 'sinkConfig' | 'targetExisting' | 'loadCluster'>,
): Promise<number> {
  const { runExperiment, runIdFor } = await import('../run/run.js');
  const output = common.output!;
  const json = output.mode === 'json';
  const base = path.resolve(flags.results, flags.runId ?? runIdFor(loaded.experiment.metadata.name));
  const summaries = await withInterrupt(
    async (signal) => {
      const done: { dir: string; summary: Summary }[] = [];
      for (const variant of variants) {
        if (signal.aborted) break;
        output.line(`variant ${variant.name}`);
        const outcome = await runExperiment({ loaded: variant.loaded, variant: variant.name, resultsRoot: base, runId: variant.name, signal, ...common });
        output.clear();
        printVerdicts(outcome.summary, outcome.dir, json);
        done.push(outcome);
      }
      return done;
    },
    { resultTellsCrash: true },
  );
  output.close();
  await writeComparison(loaded, base, summaries, json);
  if (!json) note(`results: ${base}`);
  return worst(summaries.map((s) => s.summary.exitCode));
}

async function writeComparison(loaded: LoadedExperiment, base: string, summaries: { dir: string; summary: Summary }[], json: boolean): Promise<void> {
  const { comparisonMarkdown, loadRunFigures } = await import('../report/compare.js');
  const figures = [];
  for (const { dir } of summaries) figures.push(await loadRunFigures(dir));
  const table = comparisonMarkdown(figures);
  await fs.writeFile(path.join(base, 'comparison.md'), `# ${loaded.experiment.metadata.name}: variants\n\n${table}`);
  await fs.writeFile(path.join(base, 'comparison.json'), `${JSON.stringify(figures, null, 2)}\n`);
  if (!json) write(`\n${table}`);
  if (summaries.length < 2) return;
  const { writeOverlayReport } = await import('../report/html.js');
  const title = `${loaded.experiment.metadata.name}: ${summaries.map((s) => s.summary.experiment.variant).join(' vs ')}`;
  await writeOverlayReport(
    summaries.map((s) => s.dir),
    path.join(base, 'report.html'),
    title,
  ).catch((error: unknown) => note(`report.html not written: ${String(error)}`));
}
