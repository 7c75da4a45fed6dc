import test from 'ava';
import type { HistoryFigure } from '../../../src/history/figures.js';
import { judgeSeries, regressionsOf } from '../../../src/history/regressions.js';

const figure = (worse: HistoryFigure['worse'], relative = 0.05, absolute = 0): HistoryFigure => ({
  name: 'f',
  title: 'f',
  unit: 'bytes',
  worse,
  noise: { relative, absolute },
  metrics: [],
  measure: () => undefined,
});

/** Normal noise from a seeded generator (mulberry32 and Box-Muller), so every run of the test sees the same series. */
function noise(seed: number, count: number, mean: number, sd: number): number[] {
  let state = seed;
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
}

test('noise alone is no regression: 40 runs of 100 ± 5 % against a 20 % floor, for ten seeds', (t) => {
  for (let seed = 1; seed <= 10; seed++) {
    const judged = judgeSeries(noise(seed, 40, 100, 5), figure('higher', 0.2));
    t.deepEqual(regressionsOf('f', judged), [], `seed ${seed}`);
    t.is(judged.filter((j) => j.baseline).length, 37, 'every run from the fourth on is judged');
  }
});

test('a lasting shift of +40 % is one open regression from the run where it began', (t) => {
  const values = [...noise(7, 12, 100, 5), ...noise(8, 6, 140, 5)];
  const [regression, ...others] = regressionsOf('f', judgeSeries(values, figure('higher', 0.15)));
  t.deepEqual(others, []);
  t.like(regression, { began: 12, last: 17, open: true });
  t.true(Math.abs(regression!.baselineMean - 100) < 5, String(regression!.baselineMean));
});

test('one bad run among good ones is a regression that recovered, and stays out of the baseline', (t) => {
  const values = [100, 102, 98, 101, 99, 180, 100, 103, 97];
  const judged = judgeSeries(values, figure('higher', 0.15));
  t.deepEqual(regressionsOf('f', judged), [{ figure: 'f', began: 5, last: 5, open: false, baselineMean: 100, value: 180 }]);
  t.is(judged.find((j) => j.index === 6)!.baseline!.mean, 100, 'the bad run is not part of the next baseline');
});

test('better is not a regression: lower memory, or a higher capacity limit', (t) => {
  t.deepEqual(regressionsOf('f', judgeSeries([100, 101, 99, 100, 50, 52], figure('higher'))), []);
  t.deepEqual(regressionsOf('f', judgeSeries([1000, 1010, 990, 1000, 2000], figure('lower', 0.1))), []);
  t.like(regressionsOf('f', judgeSeries([1000, 1010, 990, 1000, 800], figure('lower', 0.1))), [{ began: 4, open: true, value: 800 }]);
});

test('a steady baseline still needs the noise floor crossed: all zeros, then one OOM kill or one deviated verdict', (t) => {
  const counts = figure('higher', 0, 0.5);
  t.like(regressionsOf('f', judgeSeries([0, 0, 0, 0, 1], counts)), [{ began: 4, open: true, baselineMean: 0 }]);
  t.deepEqual(regressionsOf('f', judgeSeries([0, 0, 0, 0, 0], counts)), []);
  t.deepEqual(regressionsOf('f', judgeSeries([5, 5, 5, 5, 5.4], figure('higher', 0.1))), [], 'within 10 % of a baseline with no spread');
});

test('too few runs before it: not judged; runs with no value are skipped but keep their place', (t) => {
  t.deepEqual(regressionsOf('f', judgeSeries([0, 0, 1], figure('higher', 0, 0.5))), []);
  const judged = judgeSeries([10, undefined, 10, 10, undefined, 30], figure('higher'));
  t.deepEqual(
    judged.map((j) => [j.index, j.regressed]),
    [
      [0, false],
      [2, false],
      [3, false],
      [5, true],
    ],
  );
});
