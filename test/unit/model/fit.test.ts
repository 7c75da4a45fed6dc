import test from 'ava';
import { affineLine, fitAffine, linearityWarnings, predict, predictionInterval, solveForLimit } from '../../../src/model/fit.js';

const close = (actual: number, expected: number, tolerance = 1e-6) => Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));

test('points on a line: the line, R² 1, no residual, an interval of zero width', (t) => {
  const fit = fitAffine([1, 2, 3, 4].map((x) => [x, 3 + 2 * x]));
  t.true(close(fit.slope, 2) && close(fit.intercept, 3), `${fit.slope} ${fit.intercept}`);
  t.true(close(fit.r2, 1));
  t.true(close(fit.residualStdError, 0));
  const [low, high] = predictionInterval(fit, 10)!;
  t.true(close(low, 23) && close(high, 23));
  const { central, conservative } = solveForLimit(affineLine(fit), 23);
  t.true(close(central!, 10) && close(conservative!, 10, 1e-4), `${central} ${conservative}`);
});

test('a noisy line: the textbook least squares and a 90 % prediction interval with t(0.95, 3) = 2.353', (t) => {
  const xs = [1, 2, 3, 4, 5];
  const ys = [2.1, 3.9, 6.2, 7.8, 10.1];
  const fit = fitAffine(xs.map((x, i) => [x, ys[i]!]));
  // The same by the sums, independently of the library.
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b) / n;
  const my = ys.reduce((a, b) => a + b) / n;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx;
  const intercept = my - slope * mx;
  const sse = xs.reduce((a, x, i) => a + (ys[i]! - intercept - slope * x) ** 2, 0);
  const s = Math.sqrt(sse / (n - 2));
  t.true(close(fit.slope, slope) && close(fit.intercept, intercept));
  t.true(close(fit.residualStdError, s));
  const half = 2.353 * s * Math.sqrt(1 + 1 / n + (8 - mx) ** 2 / sxx);
  const [low, high] = predictionInterval(fit, 8, 0.9)!;
  t.true(close(low, predict(fit, 8) - half, 1e-3) && close(high, predict(fit, 8) + half, 1e-3), `${low} ${high}`);
  // Where the interval's upper edge reaches the limit lies below where the line does.
  const { central, conservative } = solveForLimit(affineLine(fit), 20);
  t.true(close(predict(fit, central!), 20));
  t.true(conservative! < central!);
  t.true(close(predictionInterval(fit, conservative!, 0.9)![1], 20, 1e-6));
});

test('two points: a line but no interval; a falling quantity never reaches its limit', (t) => {
  const fit = fitAffine([
    [1, 5],
    [3, 9],
  ]);
  t.is(predictionInterval(fit, 5), undefined);
  t.deepEqual(Object.keys(solveForLimit(affineLine(fit), 13)), ['central']);
  t.true(linearityWarnings(fit).some((w) => /only 2 points/.test(w)));
  t.deepEqual(
    solveForLimit(
      affineLine(
        fitAffine([
          [1, 5],
          [2, 4],
          [3, 3.1],
        ]),
      ),
      10,
    ),
    {},
  );
});

test('warnings: a curve, scattered points, a prediction far past the data', (t) => {
  const curve = fitAffine([1, 2, 3, 4, 5, 6].map((x) => [x, x * x]));
  t.true(curve.r2 > 0.9, 'a parabola this short still has a high R²: the residuals must catch it');
  t.true(linearityWarnings(curve).some((w) => /bend/.test(w)));
  const scatter = fitAffine([
    [1, 5],
    [2, 1],
    [3, 6],
    [4, 2],
  ]);
  t.true(linearityWarnings(scatter).some((w) => /not linear enough/.test(w)));
  const line = fitAffine([1, 2, 3].map((x) => [x, x + (x === 2 ? 0.01 : 0)]));
  t.deepEqual(linearityWarnings(line, 4), []);
  t.true(linearityWarnings(line, 100).some((w) => /twice the measured range/.test(w)));
  t.throws(() =>
    fitAffine([
      [2, 1],
      [2, 3],
    ]),
  );
});
