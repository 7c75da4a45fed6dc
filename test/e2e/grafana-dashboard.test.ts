import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type { Sample } from '../../src/core/sample.js';
import { dashboardPanels, type PanelTarget } from '../../src/report/grafana.js';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';
import { influxSkipReason, startInfluxd } from '../helpers/influxdb.js';

const influxTest = influxSkipReason ? test.skip : test;
const skipNote = influxSkipReason ? ` (skipped: ${influxSkipReason})` : '';

test.before(async () => {
  await isolatedStateDir();
});

/** A run that feeds every panel: memory limits, LIST latency, in-flight requests, agents and a relist storm. */
const experiment = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: dashboard
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits: { apiserver: 2Gi }
seed:
  - kind: pods
    count: 100
    qps: 0
agents:
  - type: kubelet
    count: 20
    ${podsOnlyKubeletParts}
    relist: cache
    rampUp: 1s
    backoff: { initial: 200ms, max: 2s }
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: pods
    clients: 4
    duration: 4s
  - type: connection-drop
    at: 1s
observe: 4s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
`;

interface Expected {
  series: Map<string, { buckets: number; max: number }>;
}

/** What a target's query must answer, worked out from metrics.ndjson: its series (by the tags it groups by), their 1 s buckets and largest mean. */
function expected(target: PanelTarget, samples: Sample[]): Expected {
  const buckets = new Map<string, Map<number, number[]>>();
  for (const s of samples) {
    if (s.metric !== target.measurement || !Object.entries(target.where).every(([k, v]) => s.labels[k] === v)) continue;
    if (target.below !== undefined && s.value >= target.below) continue;
    const key = target.groupBy.map((tag) => s.labels[tag] ?? '').join(' ');
    const byBucket = buckets.get(key) ?? new Map<number, number[]>();
    const bucket = Math.floor(s.t / 1000);
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), s.value]);
    buckets.set(key, byBucket);
  }
  const series = new Map<string, { buckets: number; max: number }>();
  for (const [key, byBucket] of buckets) {
    const means = [...byBucket.values()].map((values) => values.reduce((a, b) => a + b, 0) / values.length);
    series.set(key, { buckets: byBucket.size, max: Math.max(...means) });
  }
  return { series };
}

interface RawSeries {
  tags?: Record<string, string>;
  values: [string | number, number | null][];
}

influxTest(`every query of the Grafana dashboard answers with the run's series and points from a real influxd${skipNote}`, async (t) => {
  const server = await startInfluxd();
  t.teardown(() => server.stop());
  const { dir, file } = await writeExperiment('dashboard', experiment);
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'dash', '--influxdb', `${server.url}/cpchaos`]);
  t.is(result.exitCode, 0, result.all);
  const samples = (await fs.readFile(path.join(dir, 'dash', 'metrics.ndjson'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Sample)
    .filter((s) => Number.isFinite(s.value));
  const from = Math.min(...samples.map((s) => s.t));
  const to = Math.max(...samples.map((s) => s.t));
  const influx = server.client('cpchaos');
  let checked = 0;
  for (const panel of dashboardPanels()) {
    for (const target of panel.targets) {
      const query = target.query
        .replaceAll('$experiment', 'dashboard')
        .replaceAll('$run', 'dash')
        .replaceAll('$timeFilter', `time >= ${from}ms AND time <= ${to}ms`)
        .replaceAll('$__interval', '1s');
      const raw = (await influx.queryRaw(query)) as { results: { series?: RawSeries[]; error?: string }[] };
      t.falsy(raw.results[0]?.error, `${panel.title} ${target.refId}: ${raw.results[0]?.error}`);
      const answered = new Map((raw.results[0]?.series ?? []).map((s) => [target.groupBy.map((tag) => s.tags?.[tag] ?? '').join(' '), s.values]));
      const want = expected(target, samples);
      t.deepEqual([...answered.keys()].sort(), [...want.series.keys()].sort(), `${panel.title} ${target.refId}: the run's series`);
      for (const [key, values] of answered) {
        const { buckets, max } = want.series.get(key)!;
        if (target.shape === 'mean') {
          t.is(values.length, buckets, `${panel.title} ${target.refId} ${key}: one point per second with samples`);
          t.true(
            Math.abs(Math.max(...values.map(([, v]) => v ?? -Infinity)) - max) <= 1e-9 * Math.max(1, Math.abs(max)),
            `${panel.title} ${key}: the largest mean`,
          );
        } else {
          t.true(values.length >= 1 && values.length <= buckets - 1, `${panel.title} ${target.refId} ${key}: ${values.length} rates from ${buckets} seconds`);
          t.true(values.every(([, v]) => v !== null && v >= 0));
        }
        checked++;
      }
    }
  }
  // The run fed every panel, so the comparison above was not of empty sets.
  for (const title of [
    'apiserver memory',
    'etcd memory',
    'request latency (runner side)',
    'requests in flight and in queue',
    'agent relists per second',
    'agent watches open',
  ]) {
    const panel = dashboardPanels().find((p) => p.title === title)!;
    t.true(
      panel.targets.some((target) => expected(target, samples).series.size > 0),
      `${title} has data in this run`,
    );
  }
  t.true(checked >= 10, `${checked} series checked`);
});
