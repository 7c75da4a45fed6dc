import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { isolatedStateDir, runExperimentText } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

const stormExperiment = (name: string, workers: number) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: ${name}
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: pods
    count: 200
    qps: 0
agents:
  - type: kubelet
    count: 60
    relist: cache
    rampUp: 1s
    backoff: { initial: 200ms, max: 2s }
    workers: ${workers}
steadyState:
  duration: 2s
faults:
  - type: connection-drop
    at: 1s
observe: 6s
observeAgents: 30s
hypotheses:
  - name: every kubelet relisted once after the drop
    metric: cpchaos_fleet_relists_total
    labels: { agent: kubelet }
    aggregate: increase
    window: during
    comparator: "=="
    threshold: 60
  - name: all watches back
    metric: cpchaos_fleet_open_watches
    labels: { agent: kubelet }
    aggregate: last
    window: during
    comparator: "=="
    threshold: 60
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
`;

test('an experiment with kubelet agents and a connection drop records the relist storm', async (t) => {
  const { result, runDir, summary } = await runExperimentText('storm', stormExperiment('storm', 1));
  t.is(result.exitCode, 0, result.all);
  t.deepEqual(
    summary.fleet.map((f) => [f.agent, f.agents, f.lists, f.relists, f.resourceVersions]),
    [['kubelet', 60, 120, 60, { '0': 120 }]],
  );
  t.true(summary.phases.some((p) => p.phase === 'agents'));
  const events = (await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; dropped?: number });
  t.true((events.find((e) => e.type === 'connections-dropped')?.dropped ?? 0) >= 60);
  t.regex(await fs.readFile(path.join(runDir, 'report.md'), 'utf8'), /\| kubelet \| 60 \| 120 \| 60 \|/);
});

test('the same storm with the agents spread over three worker threads: the same lists, relists, watches and verdicts', async (t) => {
  const { result, runDir, summary } = await runExperimentText('storm-workers', stormExperiment('storm-workers', 3));
  t.is(result.exitCode, 0, result.all);
  t.deepEqual(
    summary.fleet.map((f) => [f.agent, f.agents, f.lists, f.relists, f.resourceVersions]),
    [['kubelet', 60, 120, 60, { '0': 120 }]],
  );
  t.deepEqual(
    summary.verdicts.map((v) => [v.name, v.status, v.name === 'apiserver not OOM-killed' ? 'n/a' : v.observed]),
    [
      ['every kubelet relisted once after the drop', 'held', 60],
      ['all watches back', 'held', 60],
      ['apiserver not OOM-killed', 'held', 'n/a'],
    ],
  );
  // The threads' connections all pass through the runner's proxy, so one drop reaches every one of them at the same instant.
  const events = (await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; dropped?: number; message?: string });
  t.true((events.find((e) => e.type === 'connections-dropped')?.dropped ?? 0) >= 60);
  t.is(events.find((e) => e.type === 'agents-synced')?.message, '60 kubelet listed and watching (in 3 worker threads)');
});
