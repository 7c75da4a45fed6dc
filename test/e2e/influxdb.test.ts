import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import type { Sample } from '../../src/core/sample.js';
import type { Summary } from '../../src/report/summary.js';
import { cliPath, isolatedStateDir, repoRoot, runCli, writeExperiment } from '../helpers/cluster.js';
import { influxSkipReason, startInfluxd, type InfluxServer } from '../helpers/influxdb.js';

const influxTest = influxSkipReason ? test.skip : test;
const skipNote = influxSkipReason ? ` (skipped: ${influxSkipReason})` : '';

const servers: InfluxServer[] = [];
test.before(async () => {
  await isolatedStateDir();
});
test.after.always(async () => {
  for (const server of servers) await server.stop();
});

const experiment = (name: string, observe: string, influx = '') => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: ${name}
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 100
    qps: 0
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 3s
observe: ${observe}
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
${influx}`;

async function readNdjson<T>(file: string): Promise<T[]> {
  return (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

influxTest(`every sample and event recorded also lands in InfluxDB, tagged with the run${skipNote}`, async (t) => {
  const server = await startInfluxd();
  servers.push(server);
  const { dir, file } = await writeExperiment('influx-ok', experiment('influx-ok', '5s'));
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'ok', '--influxdb', `${server.url}/cpchaos`]);
  t.is(result.exitCode, 0, result.all);
  const runDir = path.join(dir, 'ok');
  const summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
  const samples = (await readNdjson<Sample>(path.join(runDir, 'metrics.ndjson'))).filter((s) => Number.isFinite(s.value));
  const events = await readNdjson<{ t: number; type: string }>(path.join(runDir, 'events.ndjson'));
  t.like(summary.influxdb, { url: server.url, database: 'cpchaos', written: samples.length + events.length, dropped: 0 });
  t.regex(result.stderr, new RegExp(`influxdb ${server.url}/cpchaos: ${samples.length + events.length} points written, 0 dropped`));

  const influx = server.client('cpchaos');
  // One measurement per metric, each point where the file has it: same time, same value, same labels.
  const rss = samples.filter((s) => s.metric === 'cpchaos_process_resident_memory_bytes');
  const rows = await influx.query<{ time: Date; value: number; component: string; run_id: string; experiment: string }>(
    `SELECT "value", "component", "run_id", "experiment" FROM "cpchaos_process_resident_memory_bytes" WHERE "run_id" = 'ok'`,
  );
  t.is(rows.length, rss.length);
  const key = (time: number, component: string, value: number) => `${time} ${component} ${value}`;
  t.deepEqual(rows.map((r) => key(r.time.getTime(), r.component, r.value)).sort(), rss.map((s) => key(s.t, s.labels.component!, s.value)).sort());
  t.true(rows.every((r) => r.experiment === 'influx-ok'));

  // Every metric, counted per measurement.
  const perMetric = new Map<string, number>();
  for (const s of samples) perMetric.set(s.metric, (perMetric.get(s.metric) ?? 0) + 1);
  const counts = await influx.query<{ count: number }>(`SELECT count("value") FROM /.*/ WHERE "run_id" = 'ok'`);
  const stored = new Map(counts.groups().map((group) => [group.name, (group.rows[0] as { count: number }).count]));
  for (const [metric, count] of perMetric) t.is(stored.get(metric), count, metric);

  const storedEvents = await influx.query<{ type: string; message: string }>(`SELECT "message", "type" FROM "cpchaos_event" WHERE "run_id" = 'ok'`);
  t.is(storedEvents.length, events.length);
  t.deepEqual(storedEvents.map((e) => e.type).sort(), events.map((e) => e.type).sort());
});

influxTest(`a server stopped mid-run neither stops nor slows the run; written and dropped points are reported${skipNote}`, async (t) => {
  const server = await startInfluxd();
  servers.push(server);
  const { dir, file } = await writeExperiment(
    'influx-stopped',
    experiment('influx-stopped', '12s', `metrics:\n  influxdb:\n    url: ${server.url}\n    database: stopped\n    batchSize: 200\n    maxBuffer: 1500\n`),
  );
  const runDir = path.join(dir, 'stopped');
  const run = execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', 'stopped'], { reject: false, all: true });
  // Stop the server (SIGSTOP: connections hang, nothing answers) once the faults begin.
  for (;;) {
    const text = await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8').catch(() => '');
    if (text.includes('"fault-start"')) break;
    if (run.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const stoppedAt = Date.now();
  server.pause();
  const result = await run;
  const finishedAfterStopMs = Date.now() - stoppedAt;
  t.is(result.exitCode, 0, result.all);

  const summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
  const samples = (await readNdjson<Sample>(path.join(runDir, 'metrics.ndjson'))).filter((s) => Number.isFinite(s.value));
  const events = await readNdjson<unknown>(path.join(runDir, 'events.ndjson'));
  const report = summary.influxdb!;
  t.true(report.written > 0, 'points written before the stop');
  t.true(report.dropped > 0, 'points dropped while it was stopped');
  t.is(report.written + report.dropped, samples.length + events.length, 'every point is either written or counted as dropped');
  t.true(report.failedWrites > 0);
  t.regex(result.all ?? '', /influxdb .*: \d+ points written, [1-9]\d* dropped/);
  // The run kept its schedule: 12 s of observation from the fault, then recovery and
  // teardown; the sink's closing attempts are bounded (a few seconds), not minutes.
  const observe = summary.phases.find((p) => p.phase === 'observe')!;
  t.true(observe.durationMs! < 12_000 + 2_000, `observe took ${observe.durationMs} ms`);
  t.true(finishedAfterStopMs < 40_000, `the run ended ${finishedAfterStopMs} ms after the server stopped`);
  t.log(
    `run ended ${(finishedAfterStopMs / 1000).toFixed(1)} s after the server stopped (12 s of observation left); ${report.written} points written, ${report.dropped} dropped`,
  );

  // Once the server answers again, what was written is there.
  server.resume();
  const rows = await server
    .client('stopped')
    .query<{ count: number }>(`SELECT count("value") FROM "cpchaos_process_resident_memory_bytes" WHERE "run_id" = 'stopped'`);
  t.true((rows[0]?.count ?? 0) > 0);
});

test('--influxdb refuses a password in the URL and a URL without a database', async (t) => {
  const quickstart = path.join(repoRoot, 'experiments', 'quickstart.yaml');
  const withPassword = await runCli(['run', quickstart, '--influxdb', 'http://me:secret@127.0.0.1:8086/db']);
  t.is(withPassword.exitCode, 2);
  t.regex(withPassword.stderr, /no password in the URL; put it in CPCHAOS_INFLUXDB_PASSWORD/);
  t.false(withPassword.all.includes('secret'));
  const noDatabase = await runCli(['run', quickstart, '--influxdb', 'http://127.0.0.1:8086']);
  t.is(noDatabase.exitCode, 2);
  t.regex(noDatabase.stderr, /expected http:\/\/host:8086\/database/);
});
