import test from 'ava';
import { isolatedStateDir, runExperimentText } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

const experiment = (churn: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: churn
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: services
    count: 100
    qps: 0
agents:
  - type: cni-agent
    count: 5
    relist: cache
    rampUp: 0s
steadyState:
  duration: 3s
faults:
${churn}
observe: 2s
hypotheses:
  - name: the set's size holds
    builtin: objects-intact
  - name: every Service change reached every CNI agent
    metric: cpchaos_fleet_watch_events_total
    labels: { agent: cni-agent }
    aggregate: increase
    window: during
    comparator: ">="
    threshold: 400
`;

test('churn deletes and recreates a share of a set every interval: the size holds, every watcher sees the churn, the requests are counted', async (t) => {
  const { result, summary, runDir } = await runExperimentText(
    'churn',
    experiment(`  - type: churn
    set: services
    percent: 20
    interval: 1s
    duration: 4s
    qps: 200`),
  );
  t.is(result.exitCode, 0, result.all);
  t.deepEqual(
    summary.verdicts.map((v) => [v.name, v.status]),
    [
      ["the set's size holds", 'held'],
      ['every Service change reached every CNI agent', 'held'],
    ],
  );
  // 20 Services a round, about four rounds: each a DELETE and an ADDED event to each of 5 agents (which watch every Service, and only their own node's pods).
  const { readFile } = await import('node:fs/promises');
  const events = (await readFile(`${runDir}/events.ndjson`, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; recreated?: number; failed?: number; rounds?: number });
  const done = events.find((e) => e.type === 'churn-done');
  t.true((done?.rounds ?? 0) >= 3, JSON.stringify(done));
  t.is(done?.failed, 0);
  t.is(done?.recreated, (done?.rounds ?? 0) * 20);
  const services = (verb: string) =>
    summary.client.filter((c) => c.verb === verb && c.resource === 'services').reduce((sum, c) => sum + (c.codes['200'] ?? 0) + (c.codes['201'] ?? 0), 0);
  t.true(services('delete') >= done!.recreated!, `deletes counted: ${services('delete')}`);
  t.true(services('create') >= 100 + done!.recreated!, `creates counted: ${services('create')}`);
});

test('without churn the same watchers see next to nothing in the same window: the rise is the churn', async (t) => {
  const { result, summary } = await runExperimentText(
    'churn-none',
    experiment(`  - type: delete-objects\n    set: services\n    count: 1`).replace('name: churn\n', 'name: churn-none\n'),
  );
  t.is(result.exitCode, 1, 'one pod deleted: objects-intact deviates, and so does the watch event rise');
  t.deepEqual(
    summary.verdicts.map((v) => [v.name, v.status]),
    [
      ["the set's size holds", 'deviated'],
      ['every Service change reached every CNI agent', 'deviated'],
    ],
  );
});
