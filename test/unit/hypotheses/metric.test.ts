import test from 'ava';
import type { MetricHypothesisSpec } from '../../../src/experiment/schema.js';
import { evaluateMetric, thresholdValue } from '../../../src/hypotheses/metric.js';
import type { EvaluationContext } from '../../../src/core/hypothesis.js';
import type { Sample } from '../../../src/core/sample.js';
import { SampleStore } from '../../../src/metrics/store.js';

const series = (metric: string, labels: Record<string, string>, points: [number, number][]): Sample[] =>
  points.map(([t, value]) => ({ t, metric, labels, value }));

function context(samples: Sample[]): EvaluationContext {
  return {
    store: SampleStore.fromSamples(samples),
    windows: { before: { from: 0, to: 9 }, during: { from: 10, to: 20 }, whole: { from: 0, to: 30 } },
    events: [],
    recoveryChecked: false,
  };
}

const spec = (over: Partial<MetricHypothesisSpec>): MetricHypothesisSpec => ({
  name: 'h',
  metric: 'm',
  aggregate: 'max',
  comparator: '<',
  threshold: 10,
  window: 'during',
  ...over,
});

test('thresholds take sizes in bytes and durations in seconds', (t) => {
  t.is(thresholdValue('900Mi'), 900 * 1024 ** 2);
  t.is(thresholdValue('2G'), 2e9);
  t.is(thresholdValue('500ms'), 0.5);
  t.is(thresholdValue('2s'), 2);
  t.is(thresholdValue('5m'), 300);
  t.is(thresholdValue(42), 42);
});

test('max, min, avg, last and percentiles only see the window', (t) => {
  const samples = series('m', { component: 'apiserver' }, [
    [5, 100],
    [10, 2],
    [12, 8],
    [15, 4],
    [20, 6],
    [25, 100],
  ]);
  const c = context(samples);
  t.is(evaluateMetric(spec({ aggregate: 'max' }), c).observed, 8);
  t.is(evaluateMetric(spec({ aggregate: 'min' }), c).observed, 2);
  t.is(evaluateMetric(spec({ aggregate: 'avg' }), c).observed, 5);
  t.is(evaluateMetric(spec({ aggregate: 'last' }), c).observed, 6);
  t.is(evaluateMetric(spec({ aggregate: 'p50' }), c).observed, 4);
  t.is(evaluateMetric(spec({ aggregate: 'max', window: 'whole' }), c).status, 'deviated');
});

test('increase handles counter resets and counters born inside the window', (t) => {
  const restart = series('c', {}, [
    [8, 50],
    [10, 60],
    [14, 70],
    [16, 5],
    [20, 15],
  ]);
  t.is(evaluateMetric(spec({ metric: 'c', aggregate: 'increase', comparator: '>=', threshold: 0 }), context(restart)).observed, 10 + 10 + 5 + 10);
  const born = series('c', {}, [
    [12, 20],
    [18, 20],
  ]);
  t.is(evaluateMetric(spec({ metric: 'c', aggregate: 'increase', comparator: '>=', threshold: 20 }), context(born)).status, 'held');
});

test('label matchers, regular expressions, sums and per-series verdicts', (t) => {
  const samples = [
    ...series('r', { code: '200', verb: 'list' }, [
      [10, 1],
      [20, 1],
    ]),
    ...series('r', { code: '429', verb: 'list' }, [
      [10, 5],
      [20, 7],
    ]),
    ...series('r', { code: '500', verb: 'get' }, [
      [10, 3],
      [20, 3],
    ]),
  ];
  const c = context(samples);
  t.is(evaluateMetric(spec({ metric: 'r', labels: { verb: 'list' }, aggregate: 'last' }), c).observed, 8, 'summed across codes');
  t.is(evaluateMetric(spec({ metric: 'r', labels: { code: '/^[45]/' }, aggregate: 'last' }), c).observed, 10);
  const perSeries = evaluateMetric(spec({ metric: 'r', sumBy: false, aggregate: 'last', comparator: '<', threshold: 6 }), c);
  t.is(perSeries.status, 'deviated', 'one series over the threshold is enough');
  t.is(perSeries.observed, 7, 'and it is the one reported');
});

test('no samples is not a pass, unless absence is declared to mean zero', (t) => {
  t.is(evaluateMetric(spec({ metric: 'absent' }), context([])).status, 'no-data');
  t.is(evaluateMetric(spec({ metric: 'absent', absentAsZero: true, comparator: '==', threshold: 0 }), context([])).status, 'held');
  t.is(evaluateMetric(spec({ metric: 'absent', absentAsZero: true, comparator: '>', threshold: 0 }), context([])).status, 'deviated');
});
