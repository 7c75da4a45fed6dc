import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { isolatedStateDir, runExperimentText } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

/**
 * A drop under 60 kubelets; forced to relist from the cache unless `forced` is false (then client-go's, which re-watch);
 * `handshakes`, the experiment's agentHandshakesInFlight (unset: the default).
 */
const stormExperiment = (name: string, workers: number, forced = true, handshakes?: number) => `apiVersion: cpchaos.io/v1alpha1
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
    ${podsOnlyKubeletParts}
    ${forced ? 'relist: cache' : '# client-go of the cluster release'}
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
${handshakes === undefined ? '' : `agentHandshakesInFlight: ${handshakes}`}
hypotheses:
  - name: every kubelet relisted ${forced ? 'once' : 'never'} after the drop
    metric: cpchaos_fleet_relists_total
    labels: { agent: kubelet }
    aggregate: increase
    window: during
    comparator: "=="
    threshold: ${forced ? 60 : 0}
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
  const { result, runDir, summary } = await runExperimentText('storm-workers', stormExperiment('storm-workers', 3, true, 7));
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
    .map((l) => JSON.parse(l) as { type: string; dropped?: number; message?: string; handshakesInFlight?: number });
  t.true((events.find((e) => e.type === 'connections-dropped')?.dropped ?? 0) >= 60);
  const synced = events.find((e) => e.type === 'agents-synced');
  t.is(synced?.message, '60 kubelet listed and watching (in 3 worker threads)');
  // The experiment's gate reached the fleet its threads are made from (the default is 200).
  t.is(synced?.handshakesInFlight, 7);
  // The layout is recorded as series of the runner too (the dashboard and capacity read these, not the journal).
  const layout = (await fs.readFile(path.join(runDir, 'metrics.ndjson'), 'utf8'))
    .split('\n')
    .filter((l) => l.includes('"cpchaos_fleet_worker_threads"') || l.includes('"cpchaos_fleet_shards"'))
    .map((l) => JSON.parse(l) as { metric: string; value: number });
  t.deepEqual(new Set(layout.map((s) => `${s.metric}=${s.value}`)), new Set(['cpchaos_fleet_worker_threads=3', 'cpchaos_fleet_shards=0']));
  // Forced to relist from the cache: each agent lists at rv=0 and watches from there.
  t.deepEqual(agentRequests(events), { kubelet: { rewatches: 60, cachedLists: 60, quorumLists: 0 } });
});

function agentRequests(events: { type: string }[]): unknown {
  return (events.find((e) => e.type === 'agent-requests') as { byType?: unknown } | undefined)?.byType;
}

test("the default agents are client-go's: a drop is a re-watch from the last resourceVersion, journalled as such", async (t) => {
  const { result, runDir, summary } = await runExperimentText('storm-client-go', stormExperiment('storm-client-go', 1, false));
  t.is(result.exitCode, 0, result.all);
  t.deepEqual(
    summary.fleet.map((f) => [f.agent, f.agents, f.lists, f.relists]),
    [['kubelet', 60, 60, 0]],
  );
  const events = (await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; message?: string });
  t.deepEqual(agentRequests(events), { kubelet: { rewatches: 60, cachedLists: 0, quorumLists: 0 } });
  t.regex(events.find((e) => e.type === 'agent-requests')?.message ?? '', /kubelet 60 re-watches, 0 lists at a cached resourceVersion, 0 quorum lists/);
});
