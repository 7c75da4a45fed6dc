import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { inverse, Matrix } from 'ml-matrix';
import type { Line } from './fit.js';

/**
 * y = base + perScale · s + perBoth · x · s: a quantity that grows with a scale s (the pods
 * held) and with a parameter x (concurrent LISTs) whose every step costs in proportion to
 * the scale (a LIST of twice the pods holds twice the memory). Unlike a free x term, this
 * is known from two searches that cross (one varying x, one s), the way capacity runs them.
 */
export interface ScaledFit {
  coefficients: { base: number; perScale: number; perBoth: number };
  n: number;
  r2: number;
  residualStdError: number;
  residuals: number[];
  /** (XᵀX)⁻¹, for the intervals. */
  covariance: number[][];
  minX: number;
  maxX: number;
}

const row = (x: number, s: number) => [1, s, x * s];

export function fitScaled(points: readonly { x: number; s: number; y: number }[]): ScaledFit {
  const xs = new Set(points.map((p) => p.x));
  const scales = new Set(points.map((p) => p.s));
  if (points.length < 4 || xs.size < 2 || scales.size < 2)
    throw new Error(`a fit in two parameters needs four runs or more over two values of each, got ${points.length} runs, ${xs.size} and ${scales.size} values`);
  const design = new Matrix(points.map((p) => row(p.x, p.s)));
  const covariance = inverse(design.transpose().mmul(design));
  const beta = covariance
    .mmul(design.transpose())
    .mmul(Matrix.columnVector(points.map((p) => p.y)))
    .to1DArray();
  const predict = (x: number, s: number) => row(x, s).reduce((a, v, i) => a + v * beta[i]!, 0);
  const residuals = points.map((p) => p.y - predict(p.x, p.s));
  const mean = points.reduce((a, p) => a + p.y, 0) / points.length;
  const sst = points.reduce((a, p) => a + (p.y - mean) ** 2, 0);
  const sse = residuals.reduce((a, e) => a + e * e, 0);
  return {
    coefficients: { base: beta[0]!, perScale: beta[1]!, perBoth: beta[2]! },
    n: points.length,
    r2: sst > 0 ? 1 - sse / sst : 1,
    residualStdError: Math.sqrt(sse / (points.length - 3)),
    residuals,
    covariance: covariance.to2DArray(),
    minX: Math.min(...xs),
    maxX: Math.max(...xs),
  };
}

/** The fit at one scale: a line in x, with the intervals of the whole fit. */
export function lineAtScale(fit: ScaledFit, s: number): Line {
  const { base, perScale, perBoth } = fit.coefficients;
  const c = fit.covariance;
  const variance = (v: number[]) => v.reduce((a, vi, i) => a + vi * v.reduce((b, vj, j) => b + c[i]![j]! * vj, 0), 0);
  return {
    n: fit.n,
    minX: fit.minX,
    maxX: fit.maxX,
    slope: perBoth * s,
    // The slope in x at scale s is perBoth · s: the gradient (0, 0, s) of the coefficients.
    slopeStdError: fit.residualStdError * Math.sqrt(variance([0, 0, s])),
    intercept: base + perScale * s,
    interval(x, confidence) {
      const t = tQuantile(1 - (1 - confidence) / 2, fit.n - 3);
      const y = base + perScale * s + perBoth * s * x;
      const half = t * fit.residualStdError * Math.sqrt(1 + variance(row(x, s)));
      return [y - half, y + half];
    },
  };
}
