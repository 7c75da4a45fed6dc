import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { providerFor } from './cluster/providers.js';
import type { Cluster, ClusterEvent, ClusterSpec } from './cluster/provider.js';
import { AbortedError, ExitCode, InfrastructureError, messageOf } from './errors.js';
import { loadExperiment, type LoadedExperiment } from './experiment/load.js';
import type { AgentsSpec, Experiment, FaultSpec, HypothesisSpec, MetricHypothesisSpec } from './experiment/schema.js';
import { createFaultEnvironment, type FaultEnvironment } from './faults/environment.js';
import type { FleetSpec } from './load/fleet.js';
import { FleetScraper } from './metrics/scrapers/fleet.js';
import { faultByType } from './faults/registry.js';
import { evaluate, passed } from './hypotheses/evaluate.js';
import type { EvaluationContext, Verdict, Windows } from './hypotheses/types.js';
import { ApiClient } from './load/client.js';
import { checkIntegrity, runLabel, seed, type IntegrityResult, type SeededSet } from './load/seed.js';
import { ClientStats } from './metrics/client-stats.js';
import { Recorder } from './metrics/recorder.js';
import type { RunEvent, Sink } from './metrics/sample.js';
import { CgroupScraper } from './metrics/scrapers/cgroup.js';
import { ClientScraper } from './metrics/scrapers/client.js';
import { ProcScraper } from './metrics/scrapers/proc.js';
import { metricFilter, PrometheusScraper } from './metrics/scrapers/prometheus.js';
import { ReadinessScraper } from './metrics/scrapers/readiness.js';
import { InfluxSink, publicUrl } from './metrics/sinks/influxdb.js';
import { influxSinkOptions } from './metrics/sinks/influxdb-config.js';
import { NdjsonSink } from './metrics/sinks/ndjson.js';
import { SampleStore } from './metrics/store.js';
import { writeRunReport } from './report/html.js';
import { writeJunit } from './report/junit.js';
import { experimentRecordFile } from './report/run-data.js';
import { writeMarkdown } from './report/markdown.js';
import { writeSummary, type PhaseTiming, type RunStatus, type Summary } from './report/summary.js';
import { defaultKubernetesVersion } from './binaries/versions.js';
import { parseBytes, parseDuration } from './units.js';
import { sleep } from './util/wait.js';
import { Gauges } from './ui/gauges.js';
import { createRunOutput, type RunOutput } from './ui/run-output.js';

export interface RunOptions {
  file: string;
  /** An experiment already loaded (and changed, by a capacity search); `file` is then only its origin. */
  loaded?: LoadedExperiment;
  resultsRoot?: string;
  runId?: string;
  signal: AbortSignal;
  binDir?: string;
  /** Where the run reports as it goes; plain timestamped lines on stderr by default. */
  output?: RunOutput;
  /** The variant this run is, for its summary. */
  variant?: string;
  /** An InfluxDB to send samples and events to, overriding the experiment's `metrics.influxdb`. */
  influxdb?: NonNullable<Experiment['metrics']>['influxdb'];
  /** The user's consent to run against an existing cluster: its exact context (--target-existing). */
  targetExisting?: string;
}

export interface RunOutcome {
  dir: string;
  summary: Summary;
}

const exitCodes: Record<RunStatus, number> = {
  passed: ExitCode.ok,
  deviated: ExitCode.deviated,
  'not-steady': ExitCode.deviated,
  interrupted: ExitCode.interrupted,
  error: ExitCode.infrastructure,
};

function clusterSpec(experiment: Experiment, binDir?: string): ClusterSpec {
  const cluster = experiment.cluster ?? {};
  return {
    name: `run-${randomBytes(3).toString('hex')}`,
    kubernetesVersion: cluster.kubernetesVersion ?? defaultKubernetesVersion,
    etcdVersion: cluster.etcdVersion,
    components: cluster.components ?? [],
    memoryLimits: Object.fromEntries(Object.entries(cluster.memoryLimits ?? {}).map(([c, size]) => [c, parseBytes(size)])),
    apiserverArgs: cluster.apiserverArgs ?? {},
    featureGates: cluster.featureGates ?? {},
    etcdUnsafeNoFsync: cluster.etcdUnsafeNoFsync,
    binDir,
  };
}

function fleetSpec(agents: AgentsSpec): FleetSpec {
  return {
    type: agents.type,
    count: agents.count,
    relist: agents.relist ?? 'quorum',
    paginate: agents.paginate ?? false,
    rampUpMs: parseDuration(agents.rampUp ?? '10s'),
    ...(agents.backoff ? { backoff: { initialMs: parseDuration(agents.backoff.initial), maxMs: parseDuration(agents.backoff.max) } } : {}),
  };
}

function settledOnceDeviated(h: MetricHypothesisSpec): boolean {
  const upperBound = h.comparator === '<' || h.comparator === '<=';
  const lowerBound = h.comparator === '>' || h.comparator === '>=';
  return ((h.aggregate === 'max' || h.aggregate === 'increase') && upperBound) || (h.aggregate === 'min' && lowerBound);
}

export function runIdFor(name: string): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${name}`;
}

/** The steady-state check: what can be judged before any fault, in the manner of Chaos Toolkit. */
function steadyStateHypotheses(hypotheses: HypothesisSpec[]): HypothesisSpec[] {
  return hypotheses.filter((h) => ('builtin' in h ? h.builtin === 'not-oom-killed' : h.window === 'before'));
}

/**
 * One experiment, phase by phase: provision -> seed -> steady state -> inject ->
 * observe -> recover -> verify -> teardown. Teardown and the result files happen
 * whatever goes wrong, including Ctrl-C.
 */
export async function runExperiment(options: RunOptions): Promise<RunOutcome> {
  const loaded = options.loaded ?? (await loadExperiment(options.file));
  // Every concurrent wait (seeding workers, LIST clients) listens on this one signal.
  setMaxListeners(0, options.signal);
  const { experiment } = loaded;
  const output = options.output ?? createRunOutput('plain');
  const log = (line: string) => output.line(line);
  const quiet = output.mode === 'quiet' || output.mode === 'json';
  const runId = options.runId ?? runIdFor(experiment.metadata.name);
  const dir = path.resolve(options.resultsRoot ?? 'results', runId);
  await fs.mkdir(dir, { recursive: true });

  // The experiment as it runs (variant and capacity value applied): reports re-render from it.
  // It holds no credential: the schema keeps passwords out of experiment files.
  await fs.writeFile(path.join(dir, experimentRecordFile), `${JSON.stringify(experiment, null, 2)}\n`);
  const files = new NdjsonSink(dir);
  const sinks: Sink[] = [files];
  const influxOptions = influxSinkOptions(options.influxdb ?? experiment.metrics?.influxdb, {
    run_id: runId,
    experiment: experiment.metadata.name,
    ...(options.variant ? { variant: options.variant } : {}),
  });
  const influx = influxOptions ? new InfluxSink(influxOptions) : undefined;
  if (influx) {
    sinks.push(influx);
    // Not awaited: a down or stopped server must not hold the run; writes are retried from the buffer.
    void influx.prepare().then((problem) => problem && log(`influxdb ${publicUrl(influxOptions!.url)}: ${problem}; points are buffered and retried`));
  }
  const events: RunEvent[] = [];
  const event = (type: string, message: string, extra: Record<string, unknown> = {}) => {
    const record: RunEvent = { t: Date.now(), type, message, ...extra };
    events.push(record);
    for (const sink of sinks) sink.writeEvent(record);
    // A live reader of several variants' lines needs to know whose each is; the files are per variant already.
    output.event(options.variant ? { ...record, variant: options.variant } : record);
  };
  const phases: PhaseTiming[] = [];
  const phase = (name: string) => {
    const now = new Date();
    const previous = phases[phases.length - 1];
    if (previous && !previous.end) {
      previous.end = now.toISOString();
      previous.durationMs = now.getTime() - Date.parse(previous.start);
    }
    if (name) {
      phases.push({ phase: name, start: now.toISOString() });
      event('phase', name, { phase: name });
    }
  };

  const startedAt = Date.now();
  const store = new SampleStore();
  const stats = new ClientStats();
  const windows: Windows = {};
  const spec = clusterSpec(experiment, options.binDir);
  let status: RunStatus = 'passed';
  let message: string | undefined;
  let cluster: Cluster | undefined;
  let client: ApiClient | undefined;
  let environment: FaultEnvironment | undefined;
  let recorder: Recorder | undefined;
  let seeded: SeededSet[] = [];
  let integrity: IntegrityResult[] | undefined;
  let readyAfterMs: number | undefined;
  let recoveryChecked = false;
  let verdicts: Verdict[] = [];
  const context = (): EvaluationContext => ({ store, windows, events, readyAfterMs, recoveryChecked, integrity });

  try {
    phase('provision');
    try {
      cluster = await providerFor(experiment, { runId, targetExisting: options.targetExisting }).up(spec, { signal: options.signal, quiet, onProgress: (line) => log(line) });
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      throw new InfrastructureError(messageOf(error));
    }
    cluster.events.on('event', (e: ClusterEvent) => {
      const { type, component, ...rest } = e;
      // When it happened, as the cluster says: a kubelet reports an OOM kill seconds later.
      event(type, `${component}${'signal' in e && e.signal ? ` (${e.signal})` : ''}${'code' in e && e.code !== null ? ` (exit ${e.code})` : ''}`, { component, ...rest, t: Math.min(Date.now(), Date.parse(e.at) || Date.now()) });
    });
    cluster.watch(250);
    cluster.setRestartOnExit(experiment.cluster?.restartOnExit ?? true);
    client = await ApiClient.fromKubeconfig(cluster.loadKubeconfigPath, stats, { context: cluster.kubeconfigContext });
    // Every object the run creates carries its run label, whichever fault made it (an existing cluster is cleaned by it).
    environment = await createFaultEnvironment(cluster, { stats, signal: options.signal, event, client, createLabels: { [runLabel]: runId } });
    const { fleet } = environment.context;

    const wanted = metricFilter(experiment.metrics?.include);
    const scrapers = [
      ...cluster.metricsTargets().map((t) => new PrometheusScraper(t.component, t.url, wanted, t.access)),
      new ProcScraper(() => cluster!.processes()),
      new CgroupScraper(() => cluster!.cgroups()),
      new ReadinessScraper(() => cluster!.ready()),
      new ClientScraper(stats),
      new FleetScraper(fleet.stats),
    ];
    const intervalMs = parseDuration(experiment.metrics?.interval ?? '1s');
    // Only deviations the rest of the window cannot undo are reported as they happen (a max over a
    // limit stays over it); "last == 1000" is false right after a drop and true again later.
    const duringHypotheses = experiment.hypotheses.filter((h) => !('builtin' in h) && h.window === 'during' && settledOnceDeviated(h));
    const reportedDeviations = new Set<string>();
    const gauges = new Gauges(store);
    recorder = new Recorder(scrapers, store, sinks, intervalMs, (type, text) => event(type, text), (t) => {
      output.gauges(gauges.text(t));
      // Continuous check during the faults: report the first moment each hypothesis deviates.
      const during = windows.during;
      if (!during || during.to !== Number.POSITIVE_INFINITY) return;
      for (const h of duringHypotheses) {
        if (reportedDeviations.has(h.name)) continue;
        const verdict = evaluate(h, { ...context(), windows: { during: { from: during.from, to: t } } });
        if (verdict.status === 'deviated') {
          reportedDeviations.add(h.name);
          event('hypothesis-deviated', `${h.name}: observed ${verdict.observedText}, expected ${verdict.expected}`, { hypothesis: h.name });
        }
      }
    });
    recorder.start();
    const whole = { from: Date.now(), to: Number.POSITIVE_INFINITY };
    windows.whole = whole;

    phase('seed');
    seeded = await seed(experiment.seed ?? [], { client, runId, experimentDir: loaded.dir, signal: options.signal, quiet, progress: (label) => output.progress(label), event });
    environment.context.seeded = seeded;

    if (experiment.agents?.length) {
      phase('agents');
      await fleet.start(experiment.agents.map(fleetSpec), options.signal);
      await fleet.waitSynced(300_000, options.signal);
      event('agents-synced', `${experiment.agents.map((a) => `${a.count} ${a.type}`).join(', ')} listed and watching`);
    }

    phase('steady-state');
    const steadyFrom = Date.now();
    await sleep(parseDuration(experiment.steadyState?.duration ?? '5s'), options.signal);
    await recorder.round();
    windows.before = { from: steadyFrom, to: Date.now() };
    const steady = steadyStateHypotheses(experiment.hypotheses).map((h) => evaluate(h, { ...context(), windows: { ...windows, whole: { from: whole.from, to: Date.now() } } }));
    const unsteady = steady.filter((v) => !passed(v));
    if (unsteady.length) {
      status = 'not-steady';
      message = `not in steady state before the faults: ${unsteady.map((v) => `${v.name} (${v.observedText})`).join('; ')}`;
      event('not-steady', message);
    } else {
      phase('inject');
      const faultsStart = Date.now();
      windows.during = { from: faultsStart, to: Number.POSITIVE_INFINITY };
      const faults = experiment.faults ?? [];
      const faultErrors: string[] = [];
      const runFault = async (fault: FaultSpec, index: number) => {
        const name = fault.name ?? `${fault.type}#${index}`;
        await sleep(parseDuration(fault.at ?? '0s'), options.signal);
        event('fault-start', name, { fault: name, faultType: fault.type });
        try {
          await faultByType(fault.type)!.run(fault, environment!.context);
          event('fault-end', name, { fault: name });
        } catch (error) {
          if (options.signal.aborted) throw new AbortedError();
          faultErrors.push(`${name}: ${messageOf(error)}`);
          event('fault-error', `${name}: ${messageOf(error)}`, { fault: name });
        }
      };
      await Promise.all(faults.map(runFault));
      const faultsEnd = Date.now();
      // Observation runs from the start of the faults; what is left of it after they end.
      phase('observe');
      const observeMs = experiment.observe ? parseDuration(experiment.observe) : 10_000;
      await sleep(Math.max(0, faultsStart + observeMs - Date.now()), options.signal);
      windows.during = { from: faultsStart, to: Date.now() };

      phase('recover');
      // Readiness counts from the end of the faults. Still down now: poll closely for the moment it comes back.
      // Down at some point since but up now: the recorder's last not-ready sample bounds when it came back.
      const recoveryDeadline = Date.now() + parseDuration(experiment.recovery?.timeout ?? '60s');
      let readyAt: number | undefined;
      let downNow = false;
      while (Date.now() < recoveryDeadline) {
        if (await cluster.ready()) {
          readyAt = Date.now();
          break;
        }
        downNow = true;
        await sleep(100, options.signal);
      }
      recoveryChecked = true;
      if (readyAt !== undefined) {
        if (!downNow) {
          const samples = store.select('cpchaos_apiserver_ready', undefined, faultsEnd, readyAt);
          const lastDown = samples.filter((s) => s.value === 0).pop()?.t;
          readyAt = lastDown === undefined ? faultsEnd : (samples.find((s) => s.value === 1 && s.t > lastDown)?.t ?? readyAt);
        }
        readyAfterMs = Math.max(0, readyAt - faultsEnd);
        event('ready', `apiserver ready ${(readyAfterMs / 1000).toFixed(1)}s after the faults ended`, { readyAfterMs });
        phase('verify');
        await sleep(Math.max(2 * intervalMs, parseDuration(experiment.recovery?.observe ?? '2s')), options.signal);
        windows.after = { from: readyAt, to: Date.now() };
        integrity = await checkIntegrity(client, seeded);
      } else {
        event('not-ready', `apiserver not ready ${experiment.recovery?.timeout ?? '60s'} after the faults`);
      }
      if (faultErrors.length) {
        status = 'error';
        message = `faults could not be injected: ${faultErrors.join('; ')}`;
      }
    }
  } catch (error) {
    if (error instanceof AbortedError || options.signal.aborted) {
      status = 'interrupted';
      message = 'interrupted (Ctrl-C or SIGTERM); results cover the run until then';
    } else {
      status = 'error';
      message = messageOf(error);
    }
    event(status, message);
  } finally {
    if (!options.signal.aborted) await cluster?.settle?.().catch(() => undefined);
    phase('teardown');
    await recorder?.stop().catch(() => undefined);
    if (windows.whole) windows.whole.to = Date.now();
    if (windows.during?.to === Number.POSITIVE_INFINITY) windows.during.to = Date.now();
    await environment?.close().catch((error: unknown) => event('teardown-error', messageOf(error)));
    if (cluster) {
      await cluster.exportLogs?.().catch((error: unknown) => event('teardown-error', messageOf(error)));
      await fs.cp(cluster.logsDir, path.join(dir, 'logs'), { recursive: true }).catch(() => undefined);
      await cluster.down().catch((error: unknown) => event('teardown-error', messageOf(error)));
    }
    client?.close();
    phase('');
  }

  verdicts = experiment.hypotheses.map((h) => evaluate(h, context()));
  await influx?.close();
  if (status === 'passed' && verdicts.some((v) => !passed(v))) status = 'deviated';
  const endedAt = Date.now();
  const summary: Summary = {
    runId,
    experiment: { name: experiment.metadata.name, description: experiment.metadata.description, file: path.relative(process.cwd(), loaded.file), ...(options.variant ? { variant: options.variant } : {}) },
    status,
    exitCode: exitCodes[status],
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - startedAt,
    ...(message ? { message } : {}),
    cluster: cluster ? { provider: cluster.provider, name: cluster.name, kubernetesVersion: cluster.serverVersion ?? spec.kubernetesVersion, memoryLimits: spec.memoryLimits as Record<string, number>, ...(cluster.nodeImage ? { nodeImage: cluster.nodeImage } : {}) } : undefined,
    binaries: (cluster?.binaries ?? []).map(({ name, source, cachedFrom, reportedVersion }) => ({ name, source, cachedFrom, reportedVersion })),
    phases,
    verdicts,
    seeded: seeded.map((s) => ({ set: s.name, kind: s.kind, requested: s.requested, created: s.objects.length, failed: s.failed, durationMs: s.durationMs, objectsPerSecond: s.objects.length / Math.max(0.001, s.durationMs / 1000) })),
    client: stats.totals(),
    fleet: [...(environment?.context.fleet.stats.byType ?? [])].map(([type, s]) => ({ agent: type, agents: s.agents, lists: s.lists, relists: s.relists, listBytes: s.listBytes, watchEvents: s.watchEvents, resourceVersions: Object.fromEntries(s.resourceVersions) })),
    ...(recoveryChecked ? { recovery: { readyAfterMs } } : {}),
    events: { oomKills: events.filter((e) => e.type === 'oom-kill').length, restarts: events.filter((e) => e.type === 'restarting').length },
    samplesRecorded: files.samplesWritten,
    ...(influx ? { influxdb: influx.report() } : {}),
  };
  await files.close();
  await writeSummary(dir, summary);
  await writeMarkdown(dir, summary);
  await writeJunit(dir, summary);
  await writeRunReport(dir).catch((error: unknown) => log(`report.html not written: ${messageOf(error)}`));
  if (!options.output) output.close();
  return { dir, summary };
}
