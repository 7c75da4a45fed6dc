import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { browserSkipReason, openReport, type OpenedPage } from '../helpers/browser.js';
import { isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';
import { embeddedReportData } from '../helpers/report.js';

const browserTest = browserSkipReason ? test.skip : test.serial;
const skipNote = browserSkipReason ? ` (skipped: ${browserSkipReason})` : '';

let base = '';

test.before(async () => {
  await isolatedStateDir();
  // Two variants of one small LIST flood: each run gets its own report, the pair an overlay.
  const { dir, file } = await writeExperiment(
    'html',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: html-report
  description: a small LIST flood, for the report tests
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits:
    apiserver: 1Gi
seed:
  - kind: pods
    count: 200
    qps: 0
steadyState:
  duration: 3s
faults:
  - type: list-flood
    resource: pods
    clients: 2
    duration: 4s
observe: 8s
hypotheses:
  - name: apiserver RSS under 900Mi
    metric: cpchaos_process_resident_memory_bytes
    labels: { component: apiserver }
    aggregate: max
    window: during
    comparator: "<"
    threshold: 900Mi
  - name: pod LIST p99 under 5s
    metric: cpchaos_client_request_duration_seconds
    labels: { verb: list, resource: pods, quantile: "0.99" }
    aggregate: max
    window: during
    comparator: "<"
    threshold: 5s
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
variants:
  - name: two-clients
    set: {}
  - name: four-clients
    set:
      faults[0].clients: 4
`,
  );
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'html', '--quiet']);
  if (result.exitCode !== 0) throw new Error(`the report experiment failed: ${result.all}`);
  base = path.join(dir, 'html');
});

test.serial('each run folder has report.html with the verdicts, the fixed charts and one chart per metric hypothesis with its threshold', async (t) => {
  const file = path.join(base, 'two-clients', 'report.html');
  const html = await fs.readFile(file, 'utf8');
  t.regex(html, /<h2>Verdicts<\/h2>/);
  t.true(html.indexOf('<h2>Verdicts</h2>') < html.indexOf('<div id="charts">'), 'verdicts come before the charts');
  for (const name of ['apiserver RSS under 900Mi', 'pod LIST p99 under 5s', 'apiserver not OOM-killed']) t.true(html.includes(`<td>${name}</td>`), name);
  t.false(/<script[^>]+src=|<link[^>]+href=/.test(html), 'no external script or stylesheet');

  const data = await embeddedReportData(file);
  const ids = data.charts.map((c) => c.id);
  for (const id of [
    'memory-apiserver',
    'memory-etcd',
    'memory-runner',
    'runner-event-loop',
    'latency',
    'concurrency',
    'hypothesis-apiserver-rss-under-900mi',
    'hypothesis-pod-list-p99-under-5s',
  ])
    t.true(ids.includes(id), id);
  const memory = data.charts.find((c) => c.id === 'memory-apiserver')!;
  t.deepEqual(
    memory.series.map((s) => s.label),
    ['RSS', 'cgroup usage', 'cgroup limit'],
  );
  t.true(
    memory.series[2]!.points.every(([, v]) => v === 1024 ** 3),
    'the limit drawn is the 1Gi set',
  );
  t.deepEqual(
    data.charts.find((c) => c.id === 'hypothesis-apiserver-rss-under-900mi')!.thresholds.map((th) => th.value),
    [900 * 1024 ** 2],
  );
  t.deepEqual(
    data.charts.find((c) => c.id === 'hypothesis-pod-list-p99-under-5s')!.thresholds.map((th) => th.value),
    [5],
  );
  // The time axis is seconds from the first fault: the fault window starts at 0 and lasts about 4 s.
  const [fault] = data.runs[0]!.marks.faults;
  t.is(fault!.from, 0);
  t.true(fault!.to > 3.5 && fault!.to < 8, `fault window ${fault!.to}s`);
  t.true(memory.series[0]!.points.some(([x]) => x < 0) && memory.series[0]!.points.some(([x]) => x > 4), 'samples before and after the fault');
});

test.serial('cpchaos report re-renders the same page from the recorded files', async (t) => {
  const runDir = path.join(base, 'four-clients');
  const out = path.join(base, 'rerendered.html');
  const result = await runCli(['report', runDir, '--out', out]);
  t.is(result.exitCode, 0, result.all);
  t.is(result.stdout.trim(), out);
  t.is(await fs.readFile(out, 'utf8'), await fs.readFile(path.join(runDir, 'report.html'), 'utf8'));
  const missing = await runCli(['report', path.join(base, 'nope')]);
  t.is(missing.exitCode, 2);
  t.regex(missing.stderr, /nope: no such folder/);
});

function assertDrawn(t: import('ava').ExecutionContext, page: OpenedPage): void {
  t.deepEqual(page.consoleErrors, [], 'no console errors, no network requests');
  t.true(page.charts.length >= 6, `${page.charts.length} charts`);
  for (const chart of page.charts) {
    t.true(chart.drawn, `${chart.id} drawn`);
    t.true(chart.series > 0 && chart.points > 0, `${chart.id} has data`);
    const pixels = page.seriesPixels[chart.id] ?? [];
    t.is(pixels.length, chart.series, `${chart.id}: one legend entry per series`);
    t.true(
      pixels.some((n) => n > 0),
      `${chart.id}: its lines are on the canvas (${pixels.join(', ')})`,
    );
  }
}

browserTest(`one run's report opens in headless Chromium and every chart draws its series${skipNote}`, async (t) => {
  const runDir = path.join(base, 'two-clients');
  const page = await openReport(path.join(runDir, 'report.html'), path.join(runDir, 'report.png'));
  assertDrawn(t, page);
  // Most lines are drawn in their exact colour somewhere; a chart that drew nothing has none.
  const all = Object.values(page.seriesPixels).flat();
  t.true(all.filter((n) => n > 0).length >= all.length * 0.7, `series on the canvas: ${all.join(', ')}`);
  t.log(`screenshot: ${path.join(runDir, 'report.png')}`);
});

browserTest(`the variants' overlay puts both runs on the same axes${skipNote}`, async (t) => {
  const page = await openReport(path.join(base, 'report.html'), path.join(base, 'report.png'));
  assertDrawn(t, page);
  const memory = page.legendLabels['memory-apiserver']!;
  t.true(memory.includes('two-clients: RSS') && memory.includes('four-clients: RSS'), memory.join(', '));
  const data = await embeddedReportData(path.join(base, 'report.html'));
  t.deepEqual(
    data.runs.map((r) => r.label),
    ['two-clients', 'four-clients'],
  );
  t.true(data.runs.every((r) => r.marks.faults.length === 1));
  t.log(`screenshot: ${path.join(base, 'report.png')}`);
});

/** The tick values step by one power of two (256 MiB, 512 MiB, ...), never by a decimal fraction of one. */
function binarySteps(ticks: number[]): boolean {
  const steps = ticks.slice(1).map((v, i) => v - ticks[i]!);
  return ticks.length >= 2 && steps.every((s) => s === steps[0]) && Number.isInteger(Math.log2(steps[0]!));
}

browserTest(`a silence in the samples is drawn as a gap, not a straight line; memory axes tick at powers of two${skipNote}`, async (t) => {
  const original = path.join(base, 'two-clients');
  const copy = path.join(base, 'silenced');
  await fs.cp(original, copy, { recursive: true });
  // Cut the middle half of the apiserver's samples (at least 8 s), as an OOM kill and restart do.
  const lines = (await fs.readFile(path.join(copy, 'metrics.ndjson'), 'utf8')).trim().split('\n');
  const samples = lines.map((l) => JSON.parse(l) as { t: number; metric: string; labels: Record<string, string> });
  const rss = samples.filter((x) => x.metric === 'cpchaos_process_resident_memory_bytes' && x.labels.component === 'apiserver').map((x) => x.t);
  const [first, last] = [Math.min(...rss), Math.max(...rss)];
  const from = first + (last - first) / 4;
  const to = Math.max(first + (3 * (last - first)) / 4, from + 8_000);
  t.true(to < last, `the run is long enough to cut a silence into: ${(last - first) / 1000} s of samples`);
  const kept = lines.filter((_, i) => !(samples[i]!.labels.component === 'apiserver' && samples[i]!.t > from && samples[i]!.t < to));
  t.true(kept.length < lines.length, 'samples were cut');
  await fs.writeFile(path.join(copy, 'metrics.ndjson'), `${kept.join('\n')}\n`);
  const rendered = await runCli(['report', copy, '--out', path.join(copy, 'report.html')]);
  t.is(rendered.exitCode, 0, rendered.all);

  const silenced = await openReport(path.join(copy, 'report.html'), path.join(copy, 'report.png'));
  const memory = silenced.charts.find((c) => c.id === 'memory-apiserver')!;
  t.true(memory.gaps >= 1, `gaps in the apiserver memory chart: ${memory.gaps}`);
  const whole = await openReport(path.join(original, 'report.html'), path.join(original, 'report.png'));
  t.is(whole.charts.find((c) => c.id === 'memory-apiserver')!.gaps, 0, 'no gap where no sample is missing');
  for (const chart of whole.charts.filter((c) => c.id.startsWith('memory-')))
    t.true(binarySteps(chart.yTicks), `${chart.id} ticks: ${chart.yTicks.join(', ')}`);
});
