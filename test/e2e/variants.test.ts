import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type { Summary } from '../../src/report/summary.js';
import { setAt } from '../../src/variants.js';
import { isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

test('setAt changes one value by path and creates missing map keys', (t) => {
  const base = { cluster: { memoryLimits: { apiserver: '1Gi' } }, faults: [{ type: 'list-flood', clients: 2 }] };
  t.deepEqual(setAt(base, 'faults[0].clients', 9).faults[0], { type: 'list-flood', clients: 9 });
  t.deepEqual(setAt(base, 'cluster.featureGates.WatchList', true).cluster, { memoryLimits: { apiserver: '1Gi' }, featureGates: { WatchList: true } });
  t.is(base.faults[0]!.clients, 2, 'the base is not changed');
  t.throws(() => setAt(base, 'faults[3].clients', 1), { message: /faults\[3\]\.clients: 3 does not exist/ });
});

test('variants run on fresh clusters and are compared side by side', async (t) => {
  const { dir, file } = await writeExperiment(
    'v',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: v
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 40
    qps: 0
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    listsPerClient: 2
steadyState:
  duration: 1s
observe: 2s
hypotheses:
  - name: apiserver RSS under the threshold
    metric: process_resident_memory_bytes
    labels: { component: apiserver }
    aggregate: max
    comparator: "<"
    threshold: 3Gi
variants:
  - name: baseline
    set: {}
  - name: cache-and-tight
    description: LISTs from the watch cache, and a threshold no apiserver meets
    set:
      faults[0].resourceVersion: "0"
      hypotheses[0].threshold: 1Mi
`,
  );
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'cmp']);
  t.is(result.exitCode, 1, result.all);
  const baseline = JSON.parse(await fs.readFile(path.join(dir, 'cmp', 'baseline', 'summary.json'), 'utf8')) as Summary;
  const tight = JSON.parse(await fs.readFile(path.join(dir, 'cmp', 'cache-and-tight', 'summary.json'), 'utf8')) as Summary;
  t.is(baseline.status, 'passed');
  t.is(tight.status, 'deviated');
  t.is(tight.experiment.variant, 'cache-and-tight');
  t.not(baseline.cluster?.name, tight.cluster?.name, 'a fresh cluster each');
  const comparison = await fs.readFile(path.join(dir, 'cmp', 'comparison.md'), 'utf8');
  t.regex(comparison, /^\| \| v \(baseline\) `baseline` \| v \(cache-and-tight\) `cache-and-tight` \|$/m);
  t.regex(comparison, /^\| status \| passed \| deviated \|$/m);
  t.regex(result.stdout, /\| apiserver RSS under the threshold \| held: [\d.]+ MiB \| deviated: [\d.]+ MiB \|/);
});

test('a variant that makes the experiment invalid is refused before anything runs', async (t) => {
  const { dir, file } = await writeExperiment(
    'bad',
    'apiVersion: cpchaos.io/v1alpha1\nkind: Experiment\nmetadata:\n  name: bad\nhypotheses:\n  - name: x\n    builtin: not-oom-killed\nvariants:\n  - name: broken\n    set:\n      observe: soon\n',
  );
  const result = await runCli(['run', file, '--results', dir]);
  t.is(result.exitCode, 2);
  t.is(result.stderr.trim(), `cpchaos: ${file}: variant "broken" makes observe invalid: expected a duration such as 500ms, 30s, 5m or 1m30s, got "soon"`);
});

test('with --json, every event line of a variant run names its variant', async (t) => {
  const { dir, file } = await writeExperiment(
    'vj',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: vj
cluster:
  etcdUnsafeNoFsync: true
steadyState:
  duration: 1s
observe: 1s
hypotheses:
  - name: ready
    builtin: ready-within
    within: 30s
variants:
  - name: one
    set: {}
  - name: two
    set:
      observe: 2s
`,
  );
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'j', '--json']);
  t.is(result.exitCode, 0, result.all);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; variant?: string; phase?: string });
  const events = lines.filter((l) => l.type !== 'result');
  t.true(events.length > 10);
  t.true(
    events.every((e) => e.variant === 'one' || e.variant === 'two'),
    'every event line says its variant',
  );
  t.deepEqual([...new Set(events.filter((e) => e.type === 'phase' && e.phase === 'provision').map((e) => e.variant))], ['one', 'two']);
});
