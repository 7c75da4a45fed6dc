import test from 'ava';
import { fitScaled, lineAtScale } from '../../../src/model/scaled.js';
import { solveForLimit } from '../../../src/model/fit.js';

const close = (a: number, b: number, tolerance = 1e-6) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

// Two searches as run: one varies x at s = 10, the other s at x = 8.
const grid = [...[4, 8, 16, 32].map((x) => ({ x, s: 10 })), ...[5, 20, 30].map((s) => ({ x: 8, s }))];

test('exact data: the three coefficients back, and the line at a scale none measured', (t) => {
  const fit = fitScaled(grid.map(({ x, s }) => ({ x, s, y: 100 + 3 * s + 0.5 * x * s })));
  const c = fit.coefficients;
  t.true(close(c.base, 100) && close(c.perScale, 3) && close(c.perBoth, 0.5), JSON.stringify(c));
  t.true(close(fit.r2, 1));
  const line = lineAtScale(fit, 60);
  t.true(close(line.slope, 0.5 * 60) && close(line.intercept, 100 + 3 * 60));
  const [low, high] = line.interval(10, 0.9)!;
  t.true(close(low, high, 1e-6), 'no noise, no width');
  t.true(close(solveForLimit(line, 100 + 180 + 30 * 10).central!, 10));
});

test('noisy data: the interval widens away from the runs, and the limit to plan for comes before the central one', (t) => {
  const noise = [3, -2, 4, -3, 2, -4, 1];
  const fit = fitScaled(grid.map(({ x, s }, i) => ({ x, s, y: 100 + 3 * s + 0.5 * x * s + noise[i]! })));
  const measured = lineAtScale(fit, 10);
  const far = lineAtScale(fit, 60);
  const width = (line: typeof far, x: number) => line.interval(x, 0.9)![1] - line.interval(x, 0.9)![0];
  t.true(width(far, 16) > width(measured, 16), 'wider at a scale not measured');
  t.true(width(measured, 200) > width(measured, 16), 'wider far past the values measured');
  const { central, conservative } = solveForLimit(far, 1000);
  t.true(conservative! < central!);
});

test('a fit in two parameters refuses runs that vary only one', (t) => {
  t.throws(() => fitScaled([4, 8, 16, 32, 64].map((x) => ({ x, s: 10, y: x }))), { message: /two values of each/ });
});
