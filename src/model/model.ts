import { fitScaled, lineAtScale, type ScaledFit } from './scaled.js';
import { affineLine, fitAffine, linearityWarnings, predict, solveForLimit, type AffineFit, type Line } from './fit.js';
import { observables, type Observable } from './observables.js';
import { describeParameter, type ModelRun } from './runs.js';

export interface ModelOptions {
  parameter: string;
  /** A second parameter the runs vary (the pods seeded): fit y = a + b·s + c·x·s and read it at `atScale`. */
  scaleWith?: string;
  /** The scale to predict at (production's pod count); default the largest measured. */
  atScale?: number;
  /** Ceilings to solve for, by observable name (e.g. apiserver-memory: 32 GiB); default: the runs' own memory limits. */
  limits?: Record<string, number>;
  /** Predict every quantity at this parameter value. */
  at?: number;
  /** Fit only runs at or below this value (and this scale) and check the fit against the others. */
  fitUpTo?: number;
  fitScaleUpTo?: number;
  /** Of the prediction intervals (default 0.9). */
  confidence?: number;
}

export interface Point {
  x: number;
  /** The scale, when the model has one. */
  s?: number;
  y: number;
  runId: string;
}

export interface HeldOut extends Point {
  predicted: number;
  interval?: [number, number];
}

export interface QuantityModel {
  name: string;
  title: string;
  unit: Observable['unit'];
  points: Point[];
  excluded: (Point & { reason: string })[];
  /** The fit along the parameter (at `atScale` for a two-parameter fit): what the tables, charts and limits read. */
  line: Line & { r2: number; residualStdError: number };
  affine?: AffineFit;
  scaled?: ScaledFit;
  warnings: string[];
  limit?: { value: number; from: 'runs' | 'flag'; central?: number; conservative?: number };
  at?: { x: number; value: number; interval?: [number, number] };
  heldOut: HeldOut[];
}

export interface ModelResult {
  parameter: string;
  /** The parameter in the experiment's terms, e.g. faults[0].clients (list-flood of pods). */
  describes: string;
  scale?: { parameter: string; describes: string; at: number };
  confidence: number;
  runs: number;
  quantities: QuantityModel[];
  /** Quantities no run measured or with too few usable points. */
  notFitted: { name: string; reason: string }[];
}

/** The one limit every run shares, if they share one (a search keeps the limit fixed). */
function sharedLimit(observable: Observable, runs: ModelRun[]): number | undefined {
  const limits = new Set(runs.map(({ run }) => observable.limitOf?.(run)));
  const [only] = limits;
  return limits.size === 1 && only ? only : undefined;
}

function measurements(observable: Observable, runs: ModelRun[]): { usable: Point[]; excluded: QuantityModel['excluded'] } {
  const usable: Point[] = [];
  const excluded: QuantityModel['excluded'] = [];
  for (const { x, s, run } of runs) {
    const y = observable.measure(run);
    if (y === undefined) continue;
    const point = { x, ...(s === undefined ? {} : { s }), y, runId: run.summary.runId };
    const reason = observable.censored(run);
    if (reason) excluded.push({ ...point, reason });
    else usable.push(point);
  }
  return { usable, excluded };
}

type Fitted = Pick<QuantityModel, 'line' | 'affine' | 'scaled'> & { lineAt: (s: number | undefined) => Line };

function fitPoints(points: Point[], options: ModelOptions, atScale: number | undefined): Fitted | string {
  if (options.scaleWith === undefined) {
    if (new Set(points.map((p) => p.x)).size < 2) return 'fewer than two parameter values with a usable measurement';
    const affine = fitAffine(points.map((p) => [p.x, p.y]));
    const line = affineLine(affine);
    return { affine, line: { ...line, r2: affine.r2, residualStdError: affine.residualStdError }, lineAt: () => line };
  }
  let scaled: ScaledFit;
  try {
    scaled = fitScaled(points.map((p) => ({ x: p.x, s: p.s!, y: p.y })));
  } catch (error) {
    return (error as Error).message;
  }
  return {
    scaled,
    line: { ...lineAtScale(scaled, atScale!), r2: scaled.r2, residualStdError: scaled.residualStdError },
    lineAt: (s) => lineAtScale(scaled, s!),
  };
}

function modelOne(observable: Observable, runs: ModelRun[], options: ModelOptions, atScale: number | undefined): QuantityModel | string {
  const confidence = options.confidence ?? 0.9;
  const { usable, excluded } = measurements(observable, runs);
  if (!usable.length) return 'not measured by these runs';
  const fitted = (p: Point) =>
    (options.fitUpTo === undefined || p.x <= options.fitUpTo) && (options.fitScaleUpTo === undefined || (p.s ?? 0) <= options.fitScaleUpTo);
  const points = usable.filter(fitted);
  const fit = fitPoints(points, options, atScale);
  if (typeof fit === 'string') return fit;
  const { lineAt, ...fits } = fit;
  const heldOut = usable
    .filter((p) => !fitted(p))
    .map((p) => ({ ...p, predicted: predict(lineAt(p.s), p.x), interval: lineAt(p.s).interval(p.x, confidence) }));
  const flagged = options.limits?.[observable.name];
  const limitValue = flagged ?? sharedLimit(observable, runs);
  const limit =
    limitValue === undefined
      ? undefined
      : { value: limitValue, from: flagged === undefined ? ('runs' as const) : ('flag' as const), ...solveForLimit(fit.line, limitValue, confidence) };
  const at =
    options.at === undefined ? undefined : { x: options.at, value: predict(fit.line, options.at), interval: fit.line.interval(options.at, confidence) };
  const warnings = fit.affine
    ? linearityWarnings(fit.affine, options.at ?? limit?.central)
    : fit.line.r2 < 0.9
      ? [`not linear enough to extrapolate (R² ${fit.line.r2.toFixed(2)})`]
      : [];
  return {
    name: observable.name,
    title: observable.title,
    unit: observable.unit,
    points,
    excluded,
    ...fits,
    warnings,
    ...(limit ? { limit } : {}),
    ...(at ? { at } : {}),
    heldOut,
  };
}

/** A fit of every observed quantity against the parameter (and the scale), with what it predicts. */
export function buildModel(runs: ModelRun[], options: ModelOptions): ModelResult {
  const scales = runs.map((r) => r.s).filter((s): s is number => s !== undefined);
  const atScale = options.scaleWith === undefined ? undefined : (options.atScale ?? Math.max(...scales));
  const quantities: QuantityModel[] = [];
  const notFitted: ModelResult['notFitted'] = [];
  for (const observable of observables) {
    const model = modelOne(observable, runs, options, atScale);
    if (typeof model === 'string') notFitted.push({ name: observable.name, reason: model });
    else quantities.push(model);
  }
  const experiment = runs[0]?.run.experiment;
  return {
    parameter: options.parameter,
    describes: describeParameter(experiment, options.parameter),
    ...(options.scaleWith !== undefined
      ? { scale: { parameter: options.scaleWith, describes: describeParameter(experiment, options.scaleWith), at: atScale! } }
      : {}),
    confidence: options.confidence ?? 0.9,
    runs: runs.length,
    quantities,
    notFitted,
  };
}
