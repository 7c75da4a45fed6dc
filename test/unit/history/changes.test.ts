import test from 'ava';
import { changesBetween } from '../../../src/history/changes.js';
import type { HistoryEntry } from '../../../src/history/entries.js';
import type { Experiment } from '../../../src/experiment/schema.js';

const entry = (ran: unknown, kubernetesVersion = 'v1.37.2', cpchaosVersion = '0.1.0'): HistoryEntry => ({
  id: 'r',
  dir: 'r',
  kind: 'run',
  startedAt: '2026-12-04T00:00:00.000Z',
  experiment: 'e',
  status: 'passed',
  kubernetesVersion,
  cpchaosVersion,
  ran: ran as Experiment,
  values: {},
});

const base = {
  metadata: { name: 'e', description: 'one' },
  cluster: { memoryLimits: { apiserver: '2Gi' }, featureGates: { WatchList: true } },
  seed: [{ kind: 'pods', count: 300 }],
  hypotheses: [{ name: 'h', builtin: 'not-oom-killed' }],
};

test('what changed: versions first, then each setting of the experiment by its path, old and new', (t) => {
  const after = structuredClone(base) as typeof base & { agents?: unknown };
  after.cluster.memoryLimits.apiserver = '450Mi';
  after.cluster.featureGates.WatchList = false;
  after.seed[0]!.count = 600;
  after.agents = [{ type: 'kubelet', count: 10 }];
  t.deepEqual(changesBetween(entry(base), entry(after, 'v1.31.14', '0.2.0')), [
    'Kubernetes v1.37.2 → v1.31.14',
    'cpchaos 0.1.0 → 0.2.0',
    'agents[0].count: (unset) → 10',
    'agents[0].type: (unset) → "kubelet"',
    'cluster.featureGates.WatchList: true → false',
    'cluster.memoryLimits.apiserver: "2Gi" → "450Mi"',
    'seed[0].count: 300 → 600',
  ]);
});

test('the name, description and hypotheses are how a run is judged, not what it did: no change', (t) => {
  const after = structuredClone(base);
  after.metadata.description = 'two';
  after.hypotheses[0]!.name = 'renamed';
  t.deepEqual(changesBetween(entry(base), entry(after)), []);
  t.deepEqual(changesBetween(undefined, entry(base)), [], 'the first run has nothing before it');
});

test('many changed settings are summed up past the first eight', (t) => {
  const after = { ...structuredClone(base), seed: Array.from({ length: 6 }, (_, i) => ({ kind: 'configmaps', count: i })) };
  const changes = changesBetween(entry(base), entry(after));
  t.is(changes.length, 9);
  t.regex(changes.at(-1)!, /^and \d+ more settings$/);
});
