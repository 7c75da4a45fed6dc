import fs from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import test from 'ava';
import type { Sample } from '../../src/core/sample.js';
import type { Summary } from '../../src/report/summary.js';
import { isolatedStateDir, runCli, startCluster, writeExperiment } from '../helpers/cluster.js';
import { prometheusSkipReason, startPrometheus } from '../helpers/prometheus.js';

const promTest = prometheusSkipReason ? test.skip : test;
const skipNote = prometheusSkipReason ? ` (skipped: ${prometheusSkipReason})` : '';

test.before(async () => {
  await isolatedStateDir();
});

const experiment = (kubeconfig: string, context: string, prometheus: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: promql
cluster:
  provider: existing
  context: ${context}
  kubeconfig: ${kubeconfig}
metrics:
  prometheus: ${prometheus}
seed:
  - kind: configmaps
    count: 50
    qps: 0
steadyState:
  duration: 3s
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 5s
observe: 3s
hypotheses:
  - name: the flood's LISTs, as Prometheus counted them
    promql: sum(rate(apiserver_request_total{verb="LIST",resource="configmaps"}[5s]))
    aggregate: max
    window: during
    comparator: ">"
    threshold: 1
  - name: requests in flight by kind
    promql: apiserver_current_inflight_requests
    sumBy: false
    aggregate: max
    comparator: ">="
    threshold: 0
  - name: an impossible one, so the run can deviate
    promql: max(apiserver_current_inflight_requests)
    prometheus: ${prometheus}
    aggregate: max
    comparator: "<"
    threshold: 0
`;

promTest(`promql hypotheses ask a real Prometheus, are recorded and judged over the same windows, and shown in the report${skipNote}`, async (t) => {
  const cluster = await startCluster(t);
  const prometheus = await startPrometheus(t, cluster.access);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const context = kc.getCurrentContext();
  const { dir, file } = await writeExperiment('promql', experiment(cluster.kubeconfigPath, context, prometheus));
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'promql', '--target-existing', context]);
  t.is(result.exitCode, 1, result.all);
  const runDir = path.join(dir, 'promql');
  const summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
  t.deepEqual(
    summary.verdicts.map((v) => [v.name, v.status]),
    [
      ["the flood's LISTs, as Prometheus counted them", 'held'],
      ['requests in flight by kind', 'held'],
      ['an impossible one, so the run can deviate', 'deviated'],
    ],
  );
  t.true((summary.verdicts[0]!.observed ?? 0) > 1);
  t.regex(summary.verdicts[0]!.expected ?? '', /^max\(sum\(rate\(apiserver_request_total/);
  const samples = (await fs.readFile(path.join(runDir, 'metrics.ndjson'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Sample)
    .filter((s) => s.metric === 'cpchaos_promql');
  const kinds = new Set(samples.filter((s) => s.labels.hypothesis === 'requests in flight by kind').map((s) => s.labels.request_kind));
  t.deepEqual([...kinds].sort(), ['mutating', 'readOnly'], 'each result series of the expression is recorded with its labels');
  // A gauge that exists from the start is answered at every ask (the flood's LIST counter only once the flood has begun).
  const inFlight = samples.filter((s) => s.labels.hypothesis === 'requests in flight by kind' && s.labels.request_kind === 'readOnly');
  t.true(inFlight.length >= 10, `asked every second: ${inFlight.length} answers`);
  const report = await fs.readFile(path.join(runDir, 'report.html'), 'utf8');
  t.true(report.includes("hypothesis: the flood's LISTs, as Prometheus counted them"));
});

test('a promql hypothesis without a Prometheus to ask, or with a metric as well, is refused with file:line', async (t) => {
  const { file } = await writeExperiment(
    'promql-bad',
    experiment('/k', 'c', 'http://127.0.0.1:9')
      .replace(/metrics:\n {2}prometheus: \S+\n/, '')
      .replace('  - name: requests in flight by kind\n', '  - name: requests in flight by kind\n    metric: apiserver_current_inflight_requests\n'),
  );
  const result = await runCli(['validate', file]);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /:\d+:\d+: hypotheses\[0\]\.promql: a promql hypothesis needs prometheus: <url> here or metrics\.prometheus/);
  t.regex(result.stderr, /:\d+:\d+: hypotheses\[1\]\.promql: use metric or promql, not both/);
});
