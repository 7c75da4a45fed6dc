import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { isAlive } from '../../src/cluster/process.js';
import type { ClusterState } from '../../src/cluster/state.js';
import type { ResultPromise } from 'execa';
import { cliPath, exists, isolatedStateDir, repoRoot, runCli, writeExperiment } from '../helpers/cluster.js';
import { clusterListeners } from '../helpers/listeners.js';

let stateDir: string;
test.before(async () => {
  stateDir = await isolatedStateDir();
});

async function readState(name: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(stateDir, 'clusters', name, 'state.json'), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

async function waitForState(name: string, ready: (s: ClusterState) => boolean, timeoutMs = 120_000): Promise<ClusterState> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await readState(name);
    if (state && ready(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`state of ${name} never matched`);
}

/** The clusters `cpchaos run` made (named run-*) that are ready, once there are `count` of them or two minutes passed. */
async function readyRunClusters(count: number): Promise<string[]> {
  const deadline = Date.now() + 120_000;
  let ready: string[] = [];
  while (ready.length < count && Date.now() < deadline) {
    const names = (await fs.readdir(path.join(stateDir, 'clusters')).catch(() => [] as string[])).filter((n) => n.startsWith('run-'));
    ready = [];
    for (const name of names) if ((await readState(name))?.status === 'ready') ready.push(name);
    if (ready.length < count) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ready;
}

async function assertNothingLeft(t: import('ava').ExecutionContext, state: ClusterState): Promise<void> {
  for (const record of Object.values(state.processes)) t.false(isAlive(record!.pid), `${record!.binary} (pid ${record!.pid}) gone`);
  for (const cgroup of Object.values(state.cgroups)) t.false(await exists(cgroup!), `${cgroup} removed`);
  if (state.cgroupRoot) t.false(await exists(state.cgroupRoot));
  t.deepEqual(await clusterListeners(Object.values(state.ports), state.dir), [], 'nothing of this cluster listens on its ports');
  t.false(await exists(state.dir), 'state folder removed');
}

const moments: [string, (s: ClusterState) => boolean][] = [
  ['right after etcd started', (s) => s.processes.etcd !== undefined],
  ['while the apiserver starts', (s) => s.processes.apiserver !== undefined],
];

for (const [moment, reached] of moments) {
  test.serial(`SIGINT ${moment} leaves nothing behind`, async (t) => {
    const name = `sigint-${moments.findIndex(([m]) => m === moment)}`;
    const child = execa('node', [cliPath, 'up', '--name', name], { reject: false, all: true });
    const state = await waitForState(name, reached);
    child.kill('SIGINT');
    const result = await child;
    t.is(result.exitCode, 130, String(result.all));
    t.regex(String(result.stderr), /stopping and cleaning up/);
    await assertNothingLeft(t, state);
  });
}

test.serial('down --all reaps a cluster whose runner was SIGKILLed', async (t) => {
  const name = 'reaped';
  const child = execa('node', [cliPath, 'up', '--name', name, '--foreground'], { reject: false });
  const state = await waitForState(name, (s) => s.status === 'ready');
  child.kill('SIGKILL');
  await child;
  // The control plane outlives its runner: that is what down --all is for.
  for (const record of Object.values(state.processes)) t.true(isAlive(record!.pid));

  const down = await runCli(['down', '--all']);
  t.is(down.exitCode, 0, down.all);
  t.regex(down.stderr, new RegExp(`${name}: stopped 2 processes, removed 2 cgroups`));
  await assertNothingLeft(t, state);
});

test.serial('down --all leaves the cluster of a run that is still running; --force stops it', async (t) => {
  const name = 'alive';
  const child = execa('node', [cliPath, 'up', '--name', name, '--foreground'], { reject: false });
  const state = await waitForState(name, (s) => s.status === 'ready');

  const down = await runCli(['down', '--all']);
  t.is(down.exitCode, 0, down.all);
  t.regex(down.stderr, new RegExp(`${name}: left alone, its run \\(pid ${state.ownerPid}\\) is still running`));
  for (const record of Object.values(state.processes)) t.true(isAlive(record!.pid), `${record!.binary} still running`);
  t.true(await exists(state.dir));

  const forced = await runCli(['down', '--all', '--force']);
  t.is(forced.exitCode, 0, forced.all);
  t.regex(forced.stderr, new RegExp(`${name}: stopped 2 processes`));
  // Only that --force took the cluster is checked here; the foreground up is then stopped by hand.
  child.kill('SIGINT');
  await child;
  await assertNothingLeft(t, state);
  t.is((await runCli(['down', '--force'])).exitCode, 2, '--force alone is refused');
});

test.serial('a run whose cluster down --all --force stops under it ends with exit 3 and a one-line reason, no stack trace', async (t) => {
  const { dir, file } = await writeExperiment(
    'lost',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata: { name: lost }
cluster: { etcdUnsafeNoFsync: true }
steadyState: { duration: 60s }
hypotheses:
  - { name: no oom, builtin: not-oom-killed }
`,
  );
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const child = execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', 'lost'], { reject: false, all: true });
  const [name] = await readyRunClusters(1);
  t.truthy(name, 'the run brought its cluster up');
  const forced = await runCli(['down', '--all', '--force']);
  t.is(forced.exitCode, 0, forced.all);
  const result = await child;
  t.is(result.exitCode, 3, String(result.all));
  t.regex(String(result.stdout), /^error: lost - cluster lost: (etcd|apiserver) cannot restart: the cluster folder .* was removed under the run$/m);
  t.notRegex(String(result.all), /\n\s+at /, 'no stack trace');
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'lost', 'summary.json'), 'utf8')) as { status: string; exitCode: number };
  t.deepEqual([summary.status, summary.exitCode], ['error', 3]);
});

test.serial('two runs at once on one machine both pass, and a down --all between them touches neither', async (t) => {
  const text = (name: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata: { name: ${name} }
cluster: { etcdUnsafeNoFsync: true }
steadyState: { duration: 30s }
observe: 1s
hypotheses:
  - { name: no oom, builtin: not-oom-killed }
  - { name: back, builtin: ready-within, within: 10s }
`;
  // Both clusters must be up at one moment: the steady state is long enough that one run does
  // not end before the other's cluster is ready on a loaded machine (in CI they came up more
  // than 12 s apart).
  const runs = await Promise.all(['one', 'two'].map((name) => writeExperiment(name, text(name))));
  t.teardown(() => Promise.all(runs.map(({ dir }) => fs.rm(dir, { recursive: true, force: true }))).then(() => undefined));
  const children = runs.map(({ dir, file }) => execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', 'r'], { reject: false, all: true }));
  const ready = await readyRunClusters(2);
  if (ready.length < 2) {
    const outputs = await Promise.all(children);
    t.fail(
      `${ready.length} of the 2 runs' clusters were ready at once; the runs said:\n${outputs.map((r) => `exit ${r.exitCode}: ${String(r.all).slice(-2000)}`).join('\n')}`,
    );
    return;
  }
  const down = await runCli(['down', '--all']);
  t.is(down.exitCode, 0, down.all);
  for (const name of ready) t.regex(down.stderr, new RegExp(`${name}: left alone, its run \\(pid \\d+\\) is still running`));
  const results = await Promise.all(children);
  for (const result of results) t.is(result.exitCode, 0, String(result.all));
});

/** Resolves once the run, in --json mode, has entered `phase`. */
function phaseReached(child: ResultPromise, phase: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      if (!lines.some((line) => line.includes(`"phase":"${phase}"`))) return;
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
    child.then(() => reject(new Error(`the run ended before ${phase}`)), reject);
  });
}

const crashFixture = path.join(repoRoot, 'dist', 'test', 'fixtures', 'crash-on-signal.js');

const injected = { throw: 'injected crash', reject: 'injected rejection', thread: 'a fleet worker thread crashed: injected crash in a worker thread' };

for (const how of ['throw', 'reject', 'thread'] as const) {
  test.serial(`a run that crashes (${how}) with its agents running tears everything down, exits 3 and says why in one line`, async (t) => {
    const { dir, file } = await writeExperiment(
      `crash-${how}`,
      `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata: { name: crash-${how} }
cluster: { etcdUnsafeNoFsync: true }
agents:
  - { type: kubelet, count: 20, rampUp: 0s, workers: ${how === 'thread' ? 2 : 1} }
steadyState: { duration: 120s }
hypotheses:
  - { name: no oom, builtin: not-oom-killed }
`,
    );
    t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
    const child = execa('node', ['--import', crashFixture, cliPath, 'run', file, '--results', dir, '--run-id', 'crash', '--json'], {
      reject: false,
      all: true,
      env: { CPCHAOS_TEST_CRASH: how },
    });
    await phaseReached(child, 'steady-state');
    const [name] = await readyRunClusters(1);
    const state = await readState(name!);
    t.truthy(state, 'the run brought its cluster up');
    child.kill('SIGUSR2');
    const result = await child;
    t.is(result.exitCode, 3, String(result.all));
    t.regex(String(result.stderr), new RegExp(`^cpchaos crashed \\(a bug; CPCHAOS_DEBUG=1 prints its stack trace\\): ${injected[how]}$`, 'm'));
    t.notRegex(String(result.all), /\n\s+at /, 'no stack trace');
    const events = String(result.stdout)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; phase?: string; status?: string; message?: string; exitCode?: number });
    t.true(
      events.some((e) => e.phase === 'teardown'),
      'the run went through its teardown',
    );
    t.like(events.at(-1), { type: 'result', status: 'error', exitCode: 3 });
    t.regex(events.at(-1)!.message ?? '', new RegExp(`cpchaos crashed .*: ${injected[how]}$`));
    await assertNothingLeft(t, state!);
  });
}
