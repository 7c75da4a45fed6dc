import test from 'ava';
import { notOomKilled } from '../../../../src/hypotheses/builtins/not-oom-killed.js';
import { objectsIntact } from '../../../../src/hypotheses/builtins/objects-intact.js';
import { readyWithin } from '../../../../src/hypotheses/builtins/ready-within.js';
import type { EvaluationContext } from '../../../../src/core/hypothesis.js';
import { SampleStore } from '../../../../src/metrics/store.js';

const context = (extra: Partial<EvaluationContext> = {}): EvaluationContext => ({
  store: new SampleStore(),
  windows: {},
  events: [],
  recoveryChecked: false,
  ...extra,
});

test('not-oom-killed: counts kills of its component inside the whole window only', (t) => {
  const events = [
    { t: 50, type: 'oom-kill', component: 'apiserver', message: '' },
    { t: 150, type: 'oom-kill', component: 'apiserver', message: '' },
    { t: 160, type: 'oom-kill', component: 'etcd', message: '' },
  ];
  const windows = { whole: { from: 100, to: 200 } };
  t.is(notOomKilled.evaluate({ name: 'a', builtin: 'not-oom-killed' }, context({ events, windows })).observed, 1);
  t.is(notOomKilled.evaluate({ name: 'a', builtin: 'not-oom-killed' }, context({ events, windows })).status, 'deviated');
  t.is(notOomKilled.evaluate({ name: 'e', builtin: 'not-oom-killed', component: 'scheduler' }, context({ events, windows })).status, 'held');
  t.true(notOomKilled.steadyState === true, 'judged in the steady state too');
});

test('ready-within: not checked, never ready, too late, in time', (t) => {
  const spec = { name: 'r', builtin: 'ready-within', within: '2s' };
  t.is(readyWithin.evaluate(spec, context()).status, 'not-checked');
  t.is(readyWithin.evaluate(spec, context({ recoveryChecked: true })).status, 'deviated');
  t.is(readyWithin.evaluate(spec, context({ recoveryChecked: true, readyAfterMs: 2500 })).status, 'deviated');
  const held = readyWithin.evaluate(spec, context({ recoveryChecked: true, readyAfterMs: 1500 }));
  t.is(held.status, 'held');
  t.is(held.observed, 1.5);
  t.deepEqual(
    readyWithin.validate!(
      { name: 'r', builtin: 'ready-within' },
      { apiVersion: 'cpchaos.io/v1alpha1', kind: 'Experiment', metadata: { name: 'x' }, hypotheses: [] },
    ),
    [{ path: [], message: 'ready-within needs within: (a duration)' }],
  );
});

test('objects-intact: only the sets named, missing objects deviate', (t) => {
  const integrity = [
    { set: 'a', expected: 3, found: 3, missing: [] },
    { set: 'b', expected: 2, found: 1, missing: ['b-1'] },
  ];
  t.is(objectsIntact.evaluate({ name: 'o', builtin: 'objects-intact' }, context()).status, 'not-checked');
  t.is(objectsIntact.evaluate({ name: 'o', builtin: 'objects-intact', sets: ['a'] }, context({ integrity })).status, 'held');
  t.is(objectsIntact.evaluate({ name: 'o', builtin: 'objects-intact' }, context({ integrity })).status, 'deviated');
});
