import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type { CapacityResult } from '../../src/capacity.js';
import { isolatedStateDir, repoRoot, runCli, writeExperiment } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

test('capacity search brackets the limit and names the hypothesis that broke', async (t) => {
  // A limit the search must find exactly: the run deviates once it creates 30 configmaps or more.
  const { dir, file } = await writeExperiment(
    'cap',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: cap
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 28
    qps: 0
steadyState:
  duration: 0s
observe: 1s
hypotheses:
  - name: fewer than 30 configmaps created
    metric: cpchaos_client_requests_total
    labels: { verb: create, resource: configmaps, code: "201" }
    aggregate: last
    comparator: "<"
    threshold: 30
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
`,
  );
  const result = await runCli(['capacity', file, '--vary', 'seed[0].count', '--from', '28', '--to', '32', '--results', dir]);
  t.is(result.exitCode, 0, result.all);
  t.regex(result.stdout, /Limit: seed\[0\]\.count=29 holds, 30 deviates; the hypothesis that broke first: fewer than 30 configmaps created\./);
  const folder = (await fs.readdir(dir)).find((f) => f.startsWith('capacity-'))!;
  const capacity = JSON.parse(await fs.readFile(path.join(dir, folder, 'capacity.json'), 'utf8')) as CapacityResult;
  t.deepEqual(
    capacity.trials.map((trial) => [trial.value, trial.holds]),
    [
      [28, true],
      [29, true],
      [30, false],
      [32, false],
    ],
  );
  t.is(capacity.limit, 29);
  t.is(capacity.firstFailing, 30);

  // With a resolution of 2 the bisection stops once 28 holds and 30 deviates.
  const coarse = await runCli([
    'capacity',
    file,
    '--vary',
    'seed[0].count',
    '--from',
    '28',
    '--to',
    '32',
    '--resolution',
    '2',
    '--results',
    path.join(dir, 'coarse'),
  ]);
  t.is(coarse.exitCode, 0, coarse.all);
  t.regex(coarse.stdout, /Limit: seed\[0\]\.count=28 holds, 30 deviates/);
});

test('capacity refuses a path that is not a number in the experiment', async (t) => {
  const result = await runCli(['capacity', path.join(repoRoot, 'experiments', 'quickstart.yaml'), '--vary', 'seed[5].count', '--from', '1', '--to', '2']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /--vary seed\[5\]\.count: 5 does not exist/);
});

test('capacity refuses a variant the experiment does not declare', async (t) => {
  const result = await runCli([
    'capacity',
    path.join(repoRoot, 'experiments', 'list-storm-10k-pods.yaml'),
    '--vary',
    'faults[0].clients',
    '--from',
    '1',
    '--to',
    '2',
    '--variant',
    'nope',
  ]);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /--variant nope: .*list-storm-10k-pods\.yaml declares quorum, watch-cache, paginated/);
});

test('capacity with several paths checks each of them', async (t) => {
  const quickstart = path.join(repoRoot, 'experiments', 'quickstart.yaml');
  const result = await runCli(['capacity', quickstart, '--vary', 'seed[0].count,metadata.name', '--from', '1', '--to', '2']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /--vary seed\[0\]\.count,metadata\.name: metadata\.name is not a number/);
});
