import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Summary } from '../src/report/summary.js';
import { isolatedStateDir, runCli } from './helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

test('an experiment with kubelet agents and a connection drop records the relist storm', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-storm-'));
  const file = path.join(dir, 'storm.yaml');
  await fs.writeFile(
    file,
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: storm
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
steadyState:
  duration: 2s
faults:
  - type: connection-drop
    at: 1s
observe: 6s
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
`,
  );
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'storm']);
  t.is(result.exitCode, 0, result.all);
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'storm', 'summary.json'), 'utf8')) as Summary;
  t.deepEqual(summary.fleet.map((f) => [f.agent, f.agents, f.lists, f.relists, f.resourceVersions]), [['kubelet', 60, 120, 60, { '0': 120 }]]);
  t.true(summary.phases.some((p) => p.phase === 'agents'));
  const events = (await fs.readFile(path.join(dir, 'storm', 'events.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; dropped?: number });
  t.true((events.find((e) => e.type === 'connections-dropped')?.dropped ?? 0) >= 60);
  t.regex(await fs.readFile(path.join(dir, 'storm', 'report.md'), 'utf8'), /\| kubelet \| 60 \| 120 \| 60 \|/);
});
