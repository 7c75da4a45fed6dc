import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { defaultKubernetesVersion } from '../../src/binaries/versions.js';
import type { Summary } from '../../src/report/summary.js';
import type { Sample } from '../../src/core/sample.js';
import { cliPath, isolatedStateDir, runCli } from '../helpers/cluster.js';

let dir: string;
let stateDir: string;
test.before(async () => {
  stateDir = await isolatedStateDir();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-run-'));
});

function experiment(name: string, extra: { faults?: string; hypotheses?: string; steady?: string } = {}): string {
  return `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: ${name}
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits:
    apiserver: 2Gi
seed:
  - kind: configmaps
    count: 120
    dataSize: 2Ki
    qps: 0
  - kind: pods
    count: 60
    qps: 0
steadyState:
  duration: ${extra.steady ?? '2s'}
faults:
${
  extra.faults ??
  `  - type: list-flood
    resource: configmaps
    clients: 4
    listsPerClient: 5`
}
observe: 4s
recovery:
  timeout: 30s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
  - name: ready again within 20s
    builtin: ready-within
    within: 20s
  - name: seeded objects intact
    builtin: objects-intact
${extra.hypotheses ?? ''}`;
}

async function runExperimentFile(name: string, text: string, args: string[] = []) {
  const file = path.join(dir, `${name}.yaml`);
  await fs.writeFile(file, text);
  const results = path.join(dir, 'results');
  const result = await runCli(['run', file, '--results', results, '--run-id', name, ...args]);
  const runDir = path.join(results, name);
  const summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
  return { result, runDir, summary };
}

async function readNdjson<T>(file: string): Promise<T[]> {
  return (await fs.readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

/** Nothing a run writes may carry a key, a certificate or a kubeconfig credential. */
async function assertNoSecrets(t: import('ava').ExecutionContext, runDir: string): Promise<void> {
  const files = (await fs.readdir(runDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  t.true(files.length >= 6);
  for (const entry of files) {
    const text = await fs.readFile(path.join(entry.parentPath, entry.name), 'utf8');
    t.notRegex(text, /PRIVATE KEY|BEGIN CERTIFICATE|client-key-data|client-certificate-data/, `${entry.name} holds no secret`);
  }
}

test.serial('an experiment whose hypotheses hold exits 0 and writes every result file', async (t) => {
  const { result, runDir, summary } = await runExperimentFile(
    'holds',
    experiment('holds', {
      hypotheses: `  - name: apiserver RSS under 1900Mi during the flood
    metric: process_resident_memory_bytes
    labels: { component: apiserver }
    aggregate: max
    window: during
    comparator: "<"
    threshold: 1900Mi
  - name: configmap LISTs answered 200
    metric: cpchaos_client_requests_total
    labels: { verb: list, resource: configmaps, code: "200" }
    aggregate: increase
    window: during
    comparator: ">="
    threshold: 20
`,
    }),
  );
  t.is(result.exitCode, 0, result.all);
  t.is(summary.status, 'passed');
  t.deepEqual(
    summary.verdicts.map((v) => v.status),
    ['held', 'held', 'held', 'held', 'held'],
  );
  for (const file of ['summary.json', 'report.md', 'junit.xml', 'metrics.ndjson', 'events.ndjson', 'logs/apiserver.log', 'logs/etcd.log']) {
    await t.notThrowsAsync(fs.access(path.join(runDir, file)), file);
  }
  t.deepEqual(
    summary.seeded.map((s) => [s.set, s.created, s.failed]),
    [
      ['configmaps', 120, 0],
      ['pods', 60, 0],
    ],
  );
  t.deepEqual(
    summary.phases.map((p) => p.phase),
    ['provision', 'seed', 'steady-state', 'inject', 'observe', 'recover', 'verify', 'teardown'],
  );
  t.true(summary.binaries.some((b) => b.name === 'kube-apiserver' && b.reportedVersion === `Kubernetes ${defaultKubernetesVersion}`));

  const samples = await readNdjson<Sample>(path.join(runDir, 'metrics.ndjson'));
  const has = (metric: string, component: string) => samples.some((s) => s.metric === metric && s.labels.component === component);
  t.true(has('process_resident_memory_bytes', 'apiserver'), 'apiserver /metrics recorded');
  t.true(has('etcd_mvcc_db_total_size_in_bytes', 'etcd'), 'etcd /metrics recorded');
  t.true(has('cpchaos_cgroup_memory_usage_bytes', 'apiserver'), 'cgroup memory recorded');
  t.true(has('cpchaos_process_resident_memory_bytes', 'etcd'), '/proc recorded');
  t.true(
    samples.some((s) => s.metric === 'cpchaos_cgroup_memory_limit_bytes' && s.value === 2 * 1024 ** 3),
    'the real limit is recorded',
  );

  // The flood sent 4 clients x 5 LISTs; the runner's client counted them (plus the one LIST of the integrity check).
  const events = await readNdjson<{ type: string; lists?: number; ok?: number; bytes?: number }>(path.join(runDir, 'events.ndjson'));
  const flood = events.find((e) => e.type === 'list-flood-done');
  t.is(flood?.lists, 20);
  t.is(flood?.ok, 20);
  const lists = summary.client.find((c) => c.verb === 'list' && c.resource === 'configmaps');
  t.is(lists?.codes['200'], 21);
  t.true((lists?.bytes ?? 0) > (flood?.bytes ?? Infinity), 'response bytes are counted');
  t.true((flood?.bytes ?? 0) > 20 * 120 * 2048, 'each LIST returned every 2 KiB configmap');
  t.true(events.some((e) => e.type === 'fault-start') && events.some((e) => e.type === 'fault-end'));
  t.regex(await fs.readFile(path.join(runDir, 'junit.xml'), 'utf8'), /<testsuite name="holds" tests="5" failures="0"/);
  t.regex(await fs.readFile(path.join(runDir, 'report.md'), 'utf8'), /^# holds: PASSED/);
  await assertNoSecrets(t, runDir);
  t.deepEqual(await fs.readdir(path.join(stateDir, 'clusters')), [], 'the cluster was torn down');
});

test.serial('the same experiment with a threshold that cannot hold exits 1', async (t) => {
  const { result, runDir, summary } = await runExperimentFile(
    'cannot-hold',
    experiment('cannot-hold', {
      hypotheses: `  - name: apiserver RSS under 1Mi
    metric: process_resident_memory_bytes
    labels: { component: apiserver }
    aggregate: max
    window: during
    comparator: "<"
    threshold: 1Mi
`,
    }),
  );
  t.is(result.exitCode, 1, result.all);
  t.is(summary.status, 'deviated');
  const verdict = summary.verdicts.find((v) => v.name === 'apiserver RSS under 1Mi');
  t.is(verdict?.status, 'deviated');
  t.true((verdict?.observed ?? 0) > 50 * 1024 ** 2, 'the observed RSS is a real apiserver RSS');
  t.regex(result.stdout, /DEVIATED apiserver RSS under 1Mi: \d+\.\d MiB/);
  t.regex(
    await fs.readFile(path.join(runDir, 'junit.xml'), 'utf8'),
    /<failure message="observed \d+\.\d MiB; expected max\(process_resident_memory_bytes\) &lt; 1Mi" type="deviated"\/>/,
  );
});

test.serial('the integrity built-in catches a deleted seeded object', async (t) => {
  const { result, summary } = await runExperimentFile(
    'integrity',
    experiment('integrity', {
      faults: `  - type: delete-objects
    set: configmaps
    count: 2`,
    }),
  );
  t.is(result.exitCode, 1, result.all);
  const intact = summary.verdicts.find((v) => v.name === 'seeded objects intact');
  t.is(intact?.status, 'deviated');
  t.is(intact?.observedText, '178/180 present');
  t.is(intact?.detail, 'missing: cpchaos-seed/configmaps-0, cpchaos-seed/configmaps-1');
});

test.serial('Ctrl-C mid-run writes a summary marked interrupted and leaves nothing running', async (t) => {
  const file = path.join(dir, 'interrupted.yaml');
  await fs.writeFile(file, experiment('interrupted', { steady: '60s' }));
  const results = path.join(dir, 'results');
  const child = execa('node', [cliPath, 'run', file, '--results', results, '--run-id', 'interrupted'], { reject: false, all: true });
  await new Promise<void>((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('phase: steady-state')) resolve();
    });
  });
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, String(result.all));
  const summary = JSON.parse(await fs.readFile(path.join(results, 'interrupted', 'summary.json'), 'utf8')) as Summary;
  t.is(summary.status, 'interrupted');
  t.is(summary.exitCode, 130);
  t.true(summary.samplesRecorded > 0, 'what was recorded until then is kept');
  t.deepEqual(await fs.readdir(path.join(stateDir, 'clusters')), [], 'the cluster was torn down');
  const { stdout } = await execa('ps', ['-eo', 'args']);
  t.false(stdout.includes(stateDir), 'no process of the run is left');
});

test.serial('cpchaos compare puts runs side by side with deltas against the first', async (t) => {
  const results = path.join(dir, 'results');
  const compare = await runCli(['compare', path.join(results, 'holds'), path.join(results, 'cannot-hold')]);
  t.is(compare.exitCode, 0, compare.all);
  t.regex(compare.stdout, /^\| status \| passed \| deviated \|$/m);
  t.regex(compare.stdout, /^\| peak apiserver RSS \| [\d.]+ MiB \| [\d.]+ MiB \([+-]\d+ %\) \|$/m);
  t.regex(compare.stdout, /^\| apiserver RSS under 1Mi \| - \| deviated: [\d.]+ MiB \|$/m);
  const json = JSON.parse((await runCli(['compare', '--json', path.join(results, 'holds')])).stdout) as { peakApiserverRss: number; peakEtcdRss: number }[];
  t.true(json[0]!.peakApiserverRss > 50 * 1024 ** 2);
  t.true(json[0]!.peakEtcdRss > 5 * 1024 ** 2);
  const bad = await runCli(['compare', dir]);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /is not a run folder/);
});
