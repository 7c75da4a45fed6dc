import path from 'node:path';
import fs from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import test from 'ava';
import type { Summary } from '../../src/report/summary.js';
import { isolatedStateDir, runCli, runExperimentText, startCluster, writeExperiment } from '../helpers/cluster.js';
import { prometheusSkipReason, startPrometheus } from '../helpers/prometheus.js';

test.before(async () => {
  await isolatedStateDir();
});

test('api-call-latency: etcd frozen under churn breaks the SLO for the churned calls; the quiet steady state before holds', async (t) => {
  const { result, summary, runDir } = await runExperimentText(
    'slo-broken',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: slo-broken
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 100
steadyState:
  duration: 15s
faults:
  - type: churn
    set: configmaps
    percent: 10
    interval: 1s
    duration: 10s
    qps: 30
  - type: pause-process
    component: etcd
    duration: 3s
    at: 3s
observe: 2s
hypotheses:
  - name: API call latency SLO
    builtin: api-call-latency
  - name: the SLO before the faults
    builtin: api-call-latency
    window: before
`,
  );
  t.is(result.exitCode, 1, result.all);
  const [during, before] = summary.verdicts;
  t.is(during!.status, 'deviated', during!.detail);
  // Each churned object is a GET, a DELETE and a POST; those waiting on the frozen etcd took seconds. So did the
  // apiserver's own writes that fell in the freeze (its lease's PUT), which may be the worst call of all.
  t.regex(during!.observedText, /^\S+ (GET|PUT|DELETE|POST) \(resource scope\) p99 [1-9]\.\d\ds$/);
  t.regex(
    during!.detail ?? '',
    /configmaps (GET|DELETE|POST) \(resource scope\) p99 \d\.\d\ds > 1\.00s, \d\.\dx its limit, in the window \d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC \(\d+ calls\)/,
  );
  t.regex(during!.detail ?? '', /judged over the whole during window \(\d+\.\ds, shorter than the SLO's 5m00s\)/);
  // The quiet steady state's only calls may be the apiserver's own (its identity Lease, renewed every 10 s): a 4 s
  // steady state once held none, and the verdict was no-data. 15 s holds one however the run's timing falls.
  t.is(before!.status, 'held', before!.detail);
  t.true(before!.observed! < 1, `${before!.observedText}`);
  const report = await fs.readFile(path.join(runDir, 'report.html'), 'utf8');
  t.regex(report, /"id":"api-call-latency","title":"API call latency \(SLI p99 over the last 5m\)"/, 'the report charts the SLI');
});

const existingExperiment = (kubeconfig: string, context: string, prometheus: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: slo-prometheus
cluster:
  provider: existing
  context: ${context}
  kubeconfig: ${kubeconfig}
metrics:
  prometheus: ${prometheus}
seed:
  - kind: configmaps
    count: 200
    qps: 0
steadyState:
  duration: 3s
faults:
  - type: list-flood
    resource: configmaps
    clients: 4
    duration: 10s
observe: 3s
hypotheses:
  - name: direct
    builtin: api-call-latency
  - name: through prometheus
    builtin: api-call-latency
    source: prometheus
  - name: direct, cluster LISTs within 1ms
    builtin: api-call-latency
    thresholds:
      cluster: 1ms
  - name: through prometheus, cluster LISTs within 1ms
    builtin: api-call-latency
    source: prometheus
    thresholds:
      cluster: 1ms
`;

(prometheusSkipReason ? test.skip : test)(
  `api-call-latency on an existing cluster: from the apiserver's /metrics and through a real Prometheus, the same verdicts and the same call${prometheusSkipReason ? ` (skipped: ${prometheusSkipReason})` : ''}`,
  async (t) => {
    const cluster = await startCluster(t);
    const prometheus = await startPrometheus(t, cluster.access);
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const context = kc.getCurrentContext();
    const { dir, file } = await writeExperiment('slo-prometheus', existingExperiment(cluster.kubeconfigPath, context, prometheus));
    const result = await runCli(['run', file, '--results', dir, '--run-id', 'slo', '--target-existing', context]);
    t.is(result.exitCode, 1, result.all);
    const summary = JSON.parse(await fs.readFile(path.join(dir, 'slo', 'summary.json'), 'utf8')) as Summary;
    const [direct, viaPrometheus, tightDirect, tightPrometheus] = summary.verdicts;
    t.deepEqual(
      summary.verdicts.map((v) => [v.name, v.status]),
      [
        ['direct', 'held'],
        ['through prometheus', 'held'],
        ['direct, cluster LISTs within 1ms', 'deviated'],
        ['through prometheus, cluster LISTs within 1ms', 'deviated'],
      ],
      summary.verdicts.map((v) => `${v.name}: ${v.observedText} ${v.detail}`).join('\n'),
    );
    t.is(tightDirect!.observedText.split(' p99')[0], 'configmaps LIST (cluster scope)');
    t.is(tightPrometheus!.observedText.split(' p99')[0], 'configmaps LIST (cluster scope)');
    // The same calls counted twice, a scrape apart: the p99s agree to within the interpolation of one bucket.
    const ratio = tightPrometheus!.observed! / tightDirect!.observed!;
    t.true(ratio > 0.67 && ratio < 1.5, `direct ${tightDirect!.observedText}, through Prometheus ${tightPrometheus!.observedText}`);
    t.log(
      `direct: ${direct!.observedText}; prometheus: ${viaPrometheus!.observedText}; tight: ${tightDirect!.observedText} vs ${tightPrometheus!.observedText}`,
    );
  },
);
