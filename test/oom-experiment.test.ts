import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Summary } from '../src/report/summary.js';
import { isolatedStateDir, runCli } from './helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

test('a tight memory limit plus a quorum list-flood: the apiserver is OOM-killed and the run says so (exit 1)', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-oom-run-'));
  const file = path.join(dir, 'oom.yaml');
  await fs.writeFile(
    file,
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: oom
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits:
    apiserver: 450Mi
  # The apiservers of the field reports: no LIST from the watch cache, no streamed encoding.
  featureGates:
    ConsistentListFromCache: false
    StreamingCollectionEncodingToJSON: false
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
`,
  );
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'oom']);
  t.is(result.exitCode, 1, result.all);
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'oom', 'summary.json'), 'utf8')) as Summary;
  t.like(summary.verdicts.find((v) => v.name === 'apiserver not OOM-killed'), { status: 'deviated' });
  t.true(summary.events.oomKills >= 1);
  t.true(summary.events.restarts >= 1, 'restarted like a static pod');
  t.regex(result.stdout, /DEVIATED apiserver not OOM-killed: [1-9]\d* OOM kill\(s\)/);
});
