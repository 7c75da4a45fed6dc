import test from 'ava';
import { histogramQuantile } from '../../../src/metrics/histogram.js';

const buckets = [
  { le: 0.1, count: 10 },
  { le: 0.5, count: 50 },
  { le: 1, count: 90 },
  { le: Number.POSITIVE_INFINITY, count: 100 },
];

test('quantiles interpolate within their bucket, as histogram_quantile does', (t) => {
  t.is(histogramQuantile(0.5, buckets), 0.5);
  t.is(histogramQuantile(0.7, buckets), 0.75);
  t.is(histogramQuantile(0.05, buckets), 0.05, 'the first bucket starts at 0');
});

test('a rank in +Inf is the highest finite bound; no observations, or no +Inf bucket, give NaN', (t) => {
  t.is(histogramQuantile(0.99, buckets), 1);
  t.true(
    Number.isNaN(
      histogramQuantile(
        0.99,
        buckets.map((b) => ({ ...b, count: 0 })),
      ),
    ),
  );
  t.true(Number.isNaN(histogramQuantile(0.99, buckets.slice(0, 3))));
});

test('buckets in any order, and a count lower than the bucket below it, are read as cumulative', (t) => {
  t.is(histogramQuantile(0.7, [...buckets].reverse()), 0.75);
  const skewed = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 8 },
    { le: 1, count: 20 },
    { le: Number.POSITIVE_INFINITY, count: 20 },
  ];
  // Read as 10, 10, 20, 20: rank 15 is halfway through (0.5, 1].
  t.is(histogramQuantile(0.75, skewed), 0.75);
});
