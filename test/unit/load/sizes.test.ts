import test from 'ava';
import { quantileSorted } from 'simple-statistics';
import { padTo, servedSize, sizeAt, withPadding } from '../../../src/load/sizes.js';

const sizes = { min: 500, p50: 3000, p90: 12_000, p99: 40_000, max: 60_000 };

/** The quantiles of a sample, the way cpchaos profile takes them. */
const quantilesOf = (sample: number[]) => {
  const sorted = [...sample].sort((a, b) => a - b);
  return { min: sorted[0]!, p50: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9), p99: quantileSorted(sorted, 0.99), max: sorted.at(-1)! };
};

for (const count of [3, 7, 40, 80, 150, 1001]) {
  test(`${count} objects: a skewed sample's quantiles, rebuilt by sizeAt, read back the same, sizes rising from min to max`, (t) => {
    // Heavy-tailed like object sizes: most small, a few large.
    const sample = Array.from({ length: count }, (_, i) => Math.round(400 + (50_000 * ((i * 7919) % count) ** 4) / count ** 4));
    const wanted = quantilesOf(sample);
    const made = Array.from({ length: count }, (_, i) => sizeAt(wanted, i, count));
    t.is(made[0], wanted.min);
    t.is(made[count - 1], wanted.max);
    for (let i = 1; i < count; i++) t.true(made[i]! >= made[i - 1]!, `not rising at ${i}: ${made[i - 1]} then ${made[i]}`);
    const got = quantilesOf(made);
    for (const q of ['p50', 'p90', 'p99'] as const) t.true(Math.abs(got[q] - wanted[q]) <= 1, `${q}: ${got[q]}, wanted ${wanted[q]}`);
  });
}

test('quantiles no sample could have still give sizes that rise', (t) => {
  const made = Array.from({ length: 40 }, (_, i) => sizeAt(sizes, i, 40));
  for (let i = 1; i < 40; i++) t.true(made[i]! >= made[i - 1]!, `not rising at ${i}`);
  t.is(made[39], sizes.max);
});

test('served size leaves out what the control plane writes; padding lands where asked', (t) => {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: 'y' } };
  const served = { ...object, metadata: { ...object.metadata, managedFields: [{ manager: 'm' }] }, status: { phase: 'x' } };
  t.is(servedSize(served), servedSize(object));
  t.is(servedSize(object), JSON.stringify({ metadata: { name: 'a' }, data: { x: 'y' } }).length);
  const overhead = { plain: 120, padded: 170 };
  const padded = padTo(object, 5000, overhead, 3);
  t.is(servedSize(padded) + overhead.padded, 5000);
  t.is(padTo(object, 100, overhead, 3), object, 'never shrinks, and adds no key when there is nothing to pad');
  const pod = withPadding({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 10, 1);
  t.is((pod.metadata.annotations as Record<string, string>)['cpchaos.io/padding']!.length, 10);
});
