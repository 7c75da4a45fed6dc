import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { linearRegression, rSquared } from 'simple-statistics';

/** y = intercept + slope · x, fitted by least squares, with what is needed to say how far to trust it. */
export interface AffineFit {
  intercept: number;
  slope: number;
  n: number;
  /** Share of the variance the line explains (1: every point on it). */
  r2: number;
  /** Residual standard error: the typical distance of a point from the line. */
  residualStdError: number;
  residuals: number[];
  /** The slope's standard error: a slope within two of these of zero is no measurable growth. */
  slopeStdError: number;
  meanX: number;
  /** Σ (x − mean x)²: how spread the measured values are. */
  sxx: number;
  minX: number;
  maxX: number;
}

/** A fitted quantity along one parameter: what predictions and limits are read from. */
export interface Line {
  n: number;
  intercept: number;
  slope: number;
  slopeStdError: number;
  minX: number;
  maxX: number;
  /** Where a new measurement at x falls with the given confidence; undefined without an estimate of the noise. */
  interval(x: number, confidence: number): [number, number] | undefined;
}

export const affineLine = (fit: AffineFit): Line => ({
  n: fit.n,
  intercept: fit.intercept,
  slope: fit.slope,
  slopeStdError: fit.slopeStdError,
  minX: fit.minX,
  maxX: fit.maxX,
  interval: (x, confidence) => predictionInterval(fit, x, confidence),
});

export function fitAffine(points: readonly [number, number][]): AffineFit {
  if (points.length < 2) throw new Error(`an affine fit needs two points or more, got ${points.length}`);
  const xs = points.map(([x]) => x);
  if (new Set(xs).size < 2) throw new Error('an affine fit needs two different values of the parameter');
  const { m: slope, b: intercept } = linearRegression(points as [number, number][]);
  const line = (x: number) => intercept + slope * x;
  const residuals = points.map(([x, y]) => y - line(x));
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sse = residuals.reduce((a, e) => a + e * e, 0);
  const sxx = xs.reduce((a, x) => a + (x - meanX) ** 2, 0);
  const residualStdError = points.length > 2 ? Math.sqrt(sse / (points.length - 2)) : Number.NaN;
  return {
    intercept,
    slope,
    n: points.length,
    r2: rSquared(points as [number, number][], line),
    residualStdError,
    residuals,
    slopeStdError: residualStdError / Math.sqrt(sxx),
    meanX,
    sxx,
    minX: Math.min(...xs),
    maxX: Math.max(...xs),
  };
}

/** The value of a fitted line (an affine fit, or a two-parameter fit read at one scale) at x. */
export const predict = (line: Pick<Line, 'intercept' | 'slope'>, x: number): number => line.intercept + line.slope * x;

/**
 * The range a new measurement at x falls in with the given confidence (Student's t with
 * n − 2 degrees of freedom): wider the further x lies from the measured values. Needs
 * three points or more; with two, the line goes through both and says nothing of the noise.
 */
export function predictionInterval(fit: AffineFit, x: number, confidence = 0.9): [number, number] | undefined {
  if (fit.n < 3) return undefined;
  const t = tQuantile(1 - (1 - confidence) / 2, fit.n - 2);
  const half = t * fit.residualStdError * Math.sqrt(1 + 1 / fit.n + (x - fit.meanX) ** 2 / fit.sxx);
  const y = predict(fit, x);
  return [y - half, y + half];
}

/** Why a line should not be extended from these points, if it should not. */
export function linearityWarnings(fit: AffineFit, at?: number): string[] {
  const warnings: string[] = [];
  if (fit.n < 3) warnings.push(`only ${fit.n} points: no estimate of the noise`);
  else if (fit.r2 < 0.9) warnings.push(`not linear enough to extrapolate (R² ${fit.r2.toFixed(2)})`);
  else if (fit.n >= 4 && curved(fit)) warnings.push('the residuals bend (low at both ends, high in the middle or the reverse): the growth is not affine');
  if (at !== undefined && fit.maxX > fit.minX && at > fit.maxX + 2 * (fit.maxX - fit.minX))
    warnings.push(`${Number(at.toPrecision(3))} is more than twice the measured range past its end (${fit.minX}–${fit.maxX})`);
  return warnings;
}

/** Both end residuals well on one side (over half the noise) and the middle ones, on average, on the other. */
function curved(fit: AffineFit): boolean {
  const r = fit.residuals;
  const ends = [r[0]!, r[r.length - 1]!];
  const middle = r.slice(1, -1);
  const sign = Math.sign(ends[0]!);
  const middleMean = middle.reduce((a, e) => a + e, 0) / middle.length;
  return sign !== 0 && ends.every((e) => Math.sign(e) === sign && Math.abs(e) > 0.5 * fit.residualStdError) && Math.sign(middleMean) === -sign;
}

/**
 * The parameter value at which the fitted quantity reaches `limit` (it must grow with the
 * parameter): where the line does, and where the upper edge of the prediction interval does,
 * the value to plan with.
 */
export function solveForLimit(line: Line, limit: number, confidence = 0.9): { central?: number; conservative?: number } {
  if (!(line.slope > 0) || line.slope < 2 * line.slopeStdError) return {};
  const central = (limit - line.intercept) / line.slope;
  if (line.interval(central, confidence) === undefined) return { central };
  const upper = (x: number) => line.interval(x, confidence)![1];
  // The upper edge is convex in x (a line plus the root of a quadratic): find its lowest
  // point left of the central crossing, then the crossing between the two.
  let low = central - 10 * (Math.abs(central) + line.maxX - line.minX + 1);
  let high = central;
  for (let i = 0; i < 200; i++) {
    const a = low + (high - low) / 3;
    const b = high - (high - low) / 3;
    if (upper(a) < upper(b)) high = b;
    else low = a;
  }
  if (upper(low) > limit) return { central };
  high = central;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (upper(mid) > limit) high = mid;
    else low = mid;
  }
  return { central, conservative: low };
}
