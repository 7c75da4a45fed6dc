import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type { ModelResult } from '../../src/model/model.js';
import { browserSkipReason, openReport } from '../helpers/browser.js';
import { isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';
import { embeddedReportData } from '../helpers/report.js';

const browserTest = browserSkipReason ? test.skip : test.serial;
const skipNote = browserSkipReason ? ` (skipped: ${browserSkipReason})` : '';

let search = '';
let dir = '';

test.before(async () => {
  await isolatedStateDir();
  // Configmaps of 64 KiB: the apiserver's watch cache holds every one, so its memory must grow with the count.
  const written = await writeExperiment(
    'model',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: model
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits: { apiserver: 3Gi }
seed:
  - kind: configmaps
    count: 50
    dataSize: 64Ki
    qps: 0
steadyState:
  duration: 2s
observe: 1s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
`,
  );
  dir = written.dir;
  const result = await runCli(['capacity', written.file, '--vary', 'seed[0].count', '--from', '50', '--to', '400', '--results', dir]);
  if (result.exitCode !== 0) throw new Error(result.all);
  search = path.join(
    dir,
    (await fs.readdir(dir)).find((f) => f.startsWith('capacity-'))!,
  );
});

test.after.always(() => fs.rm(dir, { recursive: true, force: true }));

test.serial('a capacity search ends with the model of its runs: memory grows with the objects held', async (t) => {
  const capacity = await fs.readFile(path.join(search, 'capacity.md'), 'utf8');
  t.regex(capacity, /Every value up to 400 holds/);
  t.regex(capacity, /## Model: how each quantity grows with seed\[0\]\.count \(configmaps\)/);
  const model = JSON.parse(await fs.readFile(path.join(search, 'model.json'), 'utf8')) as ModelResult;
  const apiserver = model.quantities.find((q) => q.name === 'apiserver-memory')!;
  t.deepEqual(
    apiserver.points.map((p) => p.x),
    [50, 100, 200, 400],
  );
  t.true(apiserver.line.slope > 32 * 1024, `apiserver: ${apiserver.line.slope} bytes per 64 KiB configmap`);
  t.is(apiserver.limit?.value, 3 * 1024 ** 3, 'the limit is the runs’ own');
  t.true(apiserver.limit!.central! > 400, 'a 3 GiB apiserver holds more than the 400 measured');
  t.true(
    model.notFitted.some((n) => n.name === 'relist-p99'),
    'no agents, no relists',
  );
});

test.serial('cpchaos model: fit on the smaller values, check the larger, predict at a value and under a limit', async (t) => {
  const out = path.join(dir, 'held-out');
  const result = await runCli(['model', search, '--fit-up-to', '200', '--at', '1000', '--limit', 'apiserver-memory=8Gi', '--out', out]);
  t.is(result.exitCode, 0, result.all);
  t.regex(result.stdout, /Fitted on the runs up to seed\[0\]\.count=200; predicted against the others measured/);
  t.regex(result.stdout, /\| apiserver peak memory \| 400 \| [\d.]+ MiB \| [\d.]+ MiB \([+-]\d+ %\) \|/);
  t.regex(result.stdout, /At seed\[0\]\.count=1000: apiserver peak memory/);
  t.regex(result.stdout, /8 GiB(?! \(the runs)/);
  const model = JSON.parse(await fs.readFile(path.join(out, 'model.json'), 'utf8')) as ModelResult;
  const apiserver = model.quantities.find((q) => q.name === 'apiserver-memory')!;
  t.deepEqual(
    apiserver.points.map((p) => p.x),
    [50, 100, 200],
  );
  t.is(apiserver.heldOut[0]!.x, 400);
  t.is(apiserver.limit!.from, 'flag');
});

test.serial('cpchaos model refuses what it cannot fit, in one line', async (t) => {
  const nothing = await runCli(['model', path.join(dir, 'nope')]);
  t.is(nothing.exitCode, 2);
  t.regex(nothing.stderr, /^cpchaos: .*nope is neither a run folder nor a folder of runs$/);
  const run = path.join(
    search,
    (await fs.readdir(search)).find((f) => f.startsWith('seed-'))!,
  );
  const noParameter = await runCli(['model', run]);
  t.is(noParameter.exitCode, 2);
  t.regex(noParameter.stderr, /--x <path> is needed/);
  const badLimit = await runCli(['model', search, '--limit', 'heap=1Gi']);
  t.is(badLimit.exitCode, 2);
  t.regex(badLimit.stderr, /--limit heap=1Gi: expected NAME=VALUE with NAME one of apiserver-memory, etcd-memory, list-p99, relist-p99/);
});

browserTest(`model.html draws the measured points, the fit, its interval and the limit${skipNote}`, async (t) => {
  const file = path.join(search, 'model.html');
  const data = await embeddedReportData(file);
  t.is(data.xLabel, 'seed[0].count');
  const memory = data.charts.find((c) => c.id === 'model-apiserver-memory')!;
  t.deepEqual(
    memory.series.map((s) => s.label),
    ['measured (fitted)', 'fit', '90 % prediction, upper', '90 % prediction, lower'],
  );
  t.deepEqual(
    memory.thresholds.map((th) => th.value),
    [3 * 1024 ** 3],
  );
  const page = await openReport(file, path.join(search, 'model.png'));
  t.deepEqual(page.consoleErrors, []);
  for (const chart of page.charts) t.true(chart.drawn, chart.id);
  const pixels = page.seriesPixels['model-apiserver-memory']!;
  t.true(pixels[0]! > 0 && pixels[1]! > 0, `points and fit on the canvas: ${pixels.join(', ')}`);
});

test.serial('cpchaos model --scale-with: two crossing searches (LISTs at one count, counts at one LIST load) read at a larger count', async (t) => {
  // Full LISTs of 64 KiB configmaps: what a LIST holds grows with the configmaps it carries.
  const { dir: scaled, file } = await writeExperiment(
    'model-scaled',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: model-scaled
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits: { apiserver: 3Gi }
seed:
  - kind: configmaps
    count: 200
    dataSize: 64Ki
    qps: 0
steadyState:
  duration: 1s
faults:
  - type: list-flood
    resource: configmaps
    clients: 1
    duration: 4s
observe: 4s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
`,
  );
  t.teardown(() => fs.rm(scaled, { recursive: true, force: true }));
  const search = async (vary: string, from: string, to: string, results: string) => {
    const result = await runCli(['capacity', file, '--vary', vary, '--from', from, '--to', to, '--results', path.join(scaled, results)]);
    if (result.exitCode !== 0) throw new Error(result.all);
    return path.join(
      scaled,
      results,
      (await fs.readdir(path.join(scaled, results))).find((f) => f.startsWith('capacity-'))!,
    );
  };
  const byClients = await search('faults[0].clients', '1', '4', 'clients');
  const byCount = await search('seed[0].count', '100', '800', 'count');
  const out = path.join(scaled, 'model');
  const result = await runCli([
    'model',
    byClients,
    byCount,
    '--x',
    'faults[0].clients',
    '--scale-with',
    'seed[0].count',
    '--at-scale',
    '1600',
    '--fit-scale-up-to',
    '400',
    '--out',
    out,
  ]);
  t.is(result.exitCode, 0, result.all);
  t.regex(result.stdout, /Least-squares fits of y = a \+ b·s \+ c·x·s over 7 runs/);
  t.regex(result.stdout, /\| quantity at seed\[0\]\.count=1600 \|/);
  const model = JSON.parse(await fs.readFile(path.join(out, 'model.json'), 'utf8')) as ModelResult;
  t.deepEqual(model.scale, { parameter: 'seed[0].count', describes: 'seed[0].count (configmaps)', at: 1600 });
  const apiserver = model.quantities.find((q) => q.name === 'apiserver-memory')!;
  t.log(`apiserver: ${JSON.stringify(apiserver.scaled!.coefficients)}`);
  t.true(apiserver.scaled!.coefficients.perScale > 32 * 1024, `apiserver: ${apiserver.scaled!.coefficients.perScale} bytes per 64 KiB configmap held`);
  t.deepEqual(
    apiserver.heldOut.map((h) => h.s),
    [800],
    'the count above --fit-scale-up-to is held out and predicted',
  );
  t.true(apiserver.points.every((p) => p.s! <= 400));
});
