import test from 'ava';
import { buildSummary, exitCodeOf } from '../../../src/run/summary.js';
import { journal } from './state-fixture.js';

const end = Date.parse('2026-01-01T00:01:00Z');

test('the same journal gives the same summary, timed from the journal alone', (t) => {
  const state = journal();
  const a = buildSummary(state, end);
  t.deepEqual(buildSummary(state, end), a);
  t.is(a.durationMs, 60_000);
  t.is(a.startedAt, '2026-01-01T00:00:00.000Z');
  t.is(a.exitCode, 0);
  t.is(a.cluster, undefined, 'no cluster came up');
  t.false('recovery' in a, 'recovery is absent until it was checked');
});

test('counts OOM kills and restarts from the events; recovery once checked', (t) => {
  const events = [
    { t: 1, type: 'oom-kill', message: 'apiserver' },
    { t: 2, type: 'restarting', message: 'apiserver' },
    { t: 3, type: 'oom-kill', message: 'apiserver' },
    { t: 4, type: 'phase', message: 'seed' },
  ];
  const summary = buildSummary(journal({ events, recoveryChecked: true, readyAfterMs: 1234, status: 'deviated' }), end);
  t.deepEqual(summary.events, { oomKills: 2, restarts: 1 });
  t.deepEqual(summary.recovery, { readyAfterMs: 1234 });
  t.is(summary.exitCode, 1);
});

test('seeded sets report their rate; sinks add their own fields after the core ones', (t) => {
  const seeded = [
    {
      name: 'cms',
      kind: 'configmaps' as const,
      requested: 10,
      objects: Array.from({ length: 8 }, (_, i) => ({ index: i, path: `/p/${i}`, name: `c-${i}` })),
      failed: 2,
      durationMs: 2000,
      labelSelector: '',
      listPaths: [],
    },
  ];
  const summary = buildSummary(journal({ seeded }), end, [
    { samplesRecorded: 7 },
    { influxdb: { url: 'http://x', database: 'd', written: 1, dropped: 0, failedWrites: 0 } },
  ]);
  t.deepEqual(summary.seeded, [{ set: 'cms', kind: 'configmaps', requested: 10, created: 8, failed: 2, durationMs: 2000, objectsPerSecond: 4 }]);
  t.is(summary.samplesRecorded, 7);
  t.deepEqual(Object.keys(summary).slice(-2), ['samplesRecorded', 'influxdb'], 'summary.json keeps its key order');
});

test('exit codes by status', (t) => {
  t.deepEqual((['passed', 'deviated', 'not-steady', 'interrupted', 'error'] as const).map(exitCodeOf), [0, 1, 1, 130, 3]);
});
