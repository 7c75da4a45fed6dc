import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadExperiment } from '../../../src/experiment/load.js';
import { runExperiment, type RunOptions } from '../../../src/run/run.js';
import { createRunOutput } from '../../../src/ui/run-output.js';
import { fixtureValue } from '../../fixtures/plugins/constant-scraper.js';
import { FakeProvider } from '../../fixtures/plugins/fake-provider.js';
import { fixtureCatalog } from '../../fixtures/plugins/index.js';
import { received } from '../../fixtures/plugins/memory-sink.js';

/**
 * The runner's phase logic against a fake provider and the fixture plugins: no control
 * plane, so each run takes about a second. What needs a real apiserver is in test/e2e.
 */
interface Timing {
  steadyState?: string;
  recoveryTimeout?: string;
}

function experiment(body: string, timing: Timing): string {
  return `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata: { name: phases }
cluster: { provider: fake }
steadyState: { duration: ${timing.steadyState ?? '300ms'} }
metrics: { interval: 100ms }
observe: 300ms
recovery: { timeout: ${timing.recoveryTimeout ?? '3s'}, observe: 100ms }
${body}`;
}

async function run(
  t: { teardown(fn: () => Promise<void>): void },
  body: string,
  options: Partial<RunOptions> & { provider?: FakeProvider } = {},
  timing: Timing = {},
) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-unit-run-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'experiment.yaml');
  await fs.writeFile(file, experiment(body, timing));
  const loaded = await loadExperiment(file, fixtureCatalog);
  const provider = options.provider ?? new FakeProvider();
  const runId = `run-${path.basename(dir)}`;
  const outcome = await runExperiment({
    loaded,
    resultsRoot: dir,
    runId,
    signal: new AbortController().signal,
    output: createRunOutput('quiet'),
    ...options,
    provider,
  });
  return { ...outcome, provider, cluster: provider.clusters[0], sink: received.get(runId)!, runId };
}

const phaseNames = (summary: { phases: { phase: string }[] }) => summary.phases.map((p) => p.phase);

test.serial('a run whose hypotheses hold: every phase in order, recovery timed from the end of the faults, everything released', async (t) => {
  fixtureValue.current = 42;
  const { summary, cluster, sink } = await run(
    t,
    `faults: [{ type: outage, for: 700ms }]
hypotheses:
  - { name: value stays low, metric: cpchaos_fixture_value, aggregate: max, window: during, comparator: '<', threshold: 100 }
  - { name: back soon, builtin: ready-within, within: 2s }
  - { name: faults ended, builtin: faults-ended }`,
  );
  t.is(summary.status, 'passed', summary.message);
  t.is(summary.exitCode, 0);
  t.deepEqual(phaseNames(summary), ['provision', 'seed', 'steady-state', 'inject', 'observe', 'recover', 'verify', 'teardown']);
  t.true(summary.recovery!.readyAfterMs! >= 600 && summary.recovery!.readyAfterMs! < 1500, `readyAfterMs ${summary.recovery!.readyAfterMs}`);
  t.deepEqual(
    summary.verdicts.map((v) => v.status),
    ['held', 'held', 'held'],
  );
  t.is(cluster!.downCalls, 1, 'the cluster is brought down once');
  t.true(cluster!.settled, 'settle() ran before teardown');
  t.true(sink.closed, 'every sink is closed');
  t.true(
    sink.samples.some((s) => s.metric === 'cpchaos_fixture_value'),
    'the fixture scraper fed the sink',
  );
  t.is((summary as unknown as { memorySamples: number }).memorySamples, sink.samples.length, 'a sink adds its own fields to the summary');
});

test.serial('the steady-state gate: a "before" hypothesis that fails stops the run before any fault (exit 1, not-steady)', async (t) => {
  fixtureValue.current = 42;
  const { summary, sink, cluster } = await run(
    t,
    `faults: [{ type: outage, for: 100ms }]
hypotheses:
  - { name: low before, metric: cpchaos_fixture_value, aggregate: max, window: before, comparator: '<', threshold: 10 }`,
  );
  t.is(summary.status, 'not-steady');
  t.is(summary.exitCode, 1);
  t.regex(summary.message!, /not in steady state before the faults: low before \(42\)/);
  t.false(phaseNames(summary).includes('inject'));
  t.false(
    sink.events.some((e) => e.type === 'fault-start'),
    'no fault ran',
  );
  t.is(cluster!.downCalls, 1);
});

test.serial('a deviation during the faults is reported as it happens, and the run deviates', async (t) => {
  fixtureValue.current = 42;
  const { summary, sink } = await run(
    t,
    `faults: [{ type: outage, for: 100ms }]
hypotheses:
  - { name: stays under 10, metric: cpchaos_fixture_value, aggregate: max, window: during, comparator: '<', threshold: 10 }`,
  );
  t.is(summary.status, 'deviated');
  t.is(summary.exitCode, 1);
  const deviated = sink.events.find((e) => e.type === 'hypothesis-deviated');
  t.truthy(deviated, 'a live hypothesis-deviated event');
  const teardown = sink.events.find((e) => e.type === 'phase' && e.message === 'teardown')!;
  t.true(deviated!.t < teardown.t, 'reported before the run ended');
});

test.serial('never ready again: a not-ready event, ready-within deviates, integrity is not checked', async (t) => {
  const { summary, sink } = await run(
    t,
    `faults: [{ type: outage, for: 1h }]
hypotheses:
  - { name: back soon, builtin: ready-within, within: 2s }
  - { name: intact, builtin: objects-intact }`,
    {},
    { recoveryTimeout: '500ms' },
  );
  t.is(summary.status, 'deviated');
  t.true(sink.events.some((e) => e.type === 'not-ready'));
  t.deepEqual(
    summary.verdicts.map((v) => v.status),
    ['deviated', 'not-checked'],
  );
  t.false(phaseNames(summary).includes('verify'));
});

test.serial('a fault that cannot be injected: the others still run and the run is an infrastructure error (exit 3)', async (t) => {
  const { summary, sink } = await run(
    t,
    `faults: [{ type: outage, name: broken, for: 100ms, fail: true }, { type: outage, name: fine, for: 100ms }]
hypotheses:
  - { name: faults ended, builtin: faults-ended }`,
  );
  t.is(summary.status, 'error');
  t.is(summary.exitCode, 3);
  t.regex(summary.message!, /faults could not be injected: broken: outage refused/);
  t.true(sink.events.some((e) => e.type === 'fault-end' && e.fault === 'fine'));
});

test.serial('a provider that cannot start the cluster: exit 3 with its reason, nothing to tear down', async (t) => {
  const { summary } = await run(t, `hypotheses:\n  - { name: faults ended, builtin: faults-ended }`, { provider: new FakeProvider('no room for a cluster') });
  t.is(summary.status, 'error');
  t.is(summary.exitCode, 3);
  t.is(summary.message, 'no room for a cluster');
  t.is(summary.cluster, undefined);
  t.deepEqual(phaseNames(summary), ['provision', 'teardown']);
});

test.serial('a cluster lost under the run (its folder removed, a restart failed): exit 3 with the reason, teardown still runs', async (t) => {
  const provider = new FakeProvider();
  setTimeout(
    () =>
      provider.clusters[0]?.events.emit('event', {
        type: 'lost',
        component: 'apiserver',
        at: new Date().toISOString(),
        reason: 'apiserver cannot restart: gone',
      }),
    300,
  );
  const { summary, cluster, sink } = await run(t, `hypotheses:\n  - { name: faults ended, builtin: faults-ended }`, { provider }, { steadyState: '10s' });
  t.is(summary.status, 'error');
  t.is(summary.exitCode, 3);
  t.is(summary.message, 'cluster lost: apiserver cannot restart: gone');
  t.true(
    sink.events.some((e) => e.type === 'lost'),
    'the lost event is recorded',
  );
  t.is(cluster!.downCalls, 1);
});

test.serial('Ctrl-C in the steady state: interrupted (exit 130), teardown still releases the cluster and writes every file', async (t) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  const { summary, cluster, dir } = await run(
    t,
    `hypotheses:\n  - { name: faults ended, builtin: faults-ended }`,
    { signal: controller.signal },
    { steadyState: '10s' },
  );
  t.is(summary.status, 'interrupted');
  t.is(summary.exitCode, 130);
  t.is(cluster!.downCalls, 1);
  t.false(cluster!.settled, 'an interrupted run does not wait for the cluster to settle');
  for (const file of ['summary.json', 'report.md', 'junit.xml', 'events.ndjson', 'metrics.ndjson'])
    await t.notThrowsAsync(fs.access(path.join(dir, file)), file);
});

test.serial('a runner starved on purpose says so in summary.json and report.md: its event loop lagged past 100 ms while the faults ran', async (t) => {
  fixtureValue.current = 42;
  const { summary, dir } = await run(
    t,
    `faults: [{ type: outage, for: 100ms, blockMs: 400 }]
hypotheses:
  - { name: faults ended, builtin: faults-ended }`,
  );
  t.is(summary.status, 'passed', 'a saturated runner does not change the verdicts');
  t.true(summary.runner?.saturated, JSON.stringify(summary.runner));
  t.true(summary.runner!.eventLoopLagP99! > 0.3, `worst interval's lag p99 ${summary.runner!.eventLoopLagP99}`);
  t.regex(summary.runner!.reasons.join(';'), /event-loop lag p99 over 100 ms \(\d+\.\d % of its ticks were later than that\)/);
  t.regex(await fs.readFile(path.join(dir, 'report.md'), 'utf8'), /\*\*the runner was saturated while the faults ran\*\*: .*event-loop lag p99/);
});
