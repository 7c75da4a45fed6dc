import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { oldestKubernetesVersion } from '../../src/binaries/versions.js';
import type { HistoryResult } from '../../src/history/history.js';
import { isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';

/** The OOM test's flood: a generous apiserver limit holds it, 450Mi does not. Only the limit changes between runs. */
const experiment = (apiserverLimit: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: nightly
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits:
    apiserver: ${apiserverLimit}
  kubernetesVersion: ${oldestKubernetesVersion}
  featureGates:
    ConsistentListFromCache: false
seed:
  - kind: configmaps
    count: 3000
    dataSize: 10Ki
    qps: 0
    concurrency: 30
steadyState:
  duration: 1s
faults:
  - type: list-flood
    resource: configmaps
    clients: 8
    listsPerClient: 3
    resourceVersion: ""
observe: 5s
recovery:
  timeout: 60s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
    component: apiserver
  - name: ready again within 45s
    builtin: ready-within
    within: 45s
`;

let results: string;

test.before(async () => {
  await isolatedStateDir();
});

async function nightly(t: { log: (line: string) => void }, runId: string, limit: string): Promise<void> {
  const { file } = await writeExperiment('nightly', experiment(limit));
  const run = await runCli(['run', file, '--results', results, '--run-id', runId]);
  t.log(`${runId} (${limit}): exit ${run.exitCode}`);
  if (run.exitCode !== 0 && limit !== '450Mi') throw new Error(`the baseline run ${runId} did not pass: ${run.all}`);
}

async function history(out: string, extra: string[] = []): Promise<{ exitCode: number | undefined; stdout: string; result: HistoryResult }> {
  const run = await runCli(['history', results, '--out', out, ...extra]);
  const text = await fs.readFile(path.join(out, 'history.json'), 'utf8').catch(() => undefined);
  if (!text) throw new Error(run.all);
  return { exitCode: run.exitCode, stdout: run.stdout, result: JSON.parse(text) as HistoryResult };
}

test.serial('history of four runs of one unchanged experiment: the fourth is judged, and noise is no regression (exit 0)', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-history-'));
  results = path.join(dir, 'results');
  for (const n of [1, 2, 3, 4]) await nightly(t, `night-${n}`, '4Gi');
  const { exitCode, stdout, result } = await history(path.join(dir, 'noise'));
  t.is(exitCode, 0, stdout);
  const [nightlyHistory, ...others] = result.histories;
  t.deepEqual(others, []);
  t.is(nightlyHistory!.entries.length, 4);
  t.deepEqual(nightlyHistory!.regressions, [], stdout);
  const memory = nightlyHistory!.figures.find((f) => f.name === 'apiserver-memory')!;
  t.truthy(memory.judged[3]!.baseline, 'the fourth run is judged against the three before it');
  t.log(`apiserver peak memory: ${memory.judged.map((j) => (j.value / 2 ** 20).toFixed(0)).join(', ')} MiB`);
  t.regex(stdout, /no open regression/);
});

test.serial(
  'a fifth run with the apiserver limited to 450Mi: OOM-killed, a regression that began at that run and names the changed limit (exit 1)',
  async (t) => {
    await nightly(t, 'night-5', '450Mi');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-history-'));
    const { exitCode, stdout, result } = await history(dir);
    t.is(exitCode, 1, stdout);
    const regressions = result.histories[0]!.regressions;
    const byFigure = Object.fromEntries(regressions.map((r) => [r.figure, r]));
    for (const figure of ['oom-kills', 'verdict:apiserver not OOM-killed']) {
      t.like(byFigure[figure], { beganAt: 'night-5', open: true }, stdout);
      t.deepEqual(byFigure[figure]!.changes, ['cluster.memoryLimits.apiserver: "4Gi" → "450Mi"']);
    }
    t.regex(
      stdout,
      /\*\*REGRESSION\*\* OOM kills: 1 against a baseline mean of 0, since run 5 `night-5`, still at the latest\. Changed there: cluster\.memoryLimits\.apiserver: "4Gi" → "450Mi"\./,
    );
    const html = await fs.readFile(path.join(dir, 'history.html'), 'utf8');
    t.regex(html, /"text":"Kubernetes v1\.31\.\d+"/, 'the first run’s Kubernetes version is marked on the trend charts');
    t.regex(html, /"text":"cluster\.memoryLimits\.apiserver: \\"4Gi\\" → \\"450Mi\\""/, 'the change is marked where it happened');

    // The change accepted: a history that starts at the fifth run has nothing to compare it with.
    const accepted = await history(dir, ['--since', 'night-5']);
    t.is(accepted.exitCode, 0, accepted.stdout);
  },
);
