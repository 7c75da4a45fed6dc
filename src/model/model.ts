import { fitAffine, linearityWarnings, predict, predictionInterval, solveForLimit, type AffineFit } from './fit.js';
import { observables, type Observable } from './observables.js';
import { describeParameter, type ModelRun } from './runs.js';

export interface ModelOptions {
  parameter: string;
  /** Ceilings to solve for, by observable name (e.g. apiserver-memory: 32 GiB); default: the runs' own memory limits. */
  limits?: Record<string, number>;
  /** Predict every quantity at this parameter value. */
  at?: number;
  /** Fit only runs at or below this value and check the fit against the larger ones. */
  fitUpTo?: number;
  /** Of the prediction intervals (default 0.9). */
  confidence?: number;
}

export interface HeldOut {
  x: number;
  runId: string;
  measured: number;
  predicted: number;
  interval?: [number, number];
}

export interface QuantityModel {
  name: string;
  title: string;
  unit: Observable['unit'];
  points: { x: number; y: number; runId: string }[];
  excluded: { x: number; y: number; runId: string; reason: string }[];
  fit: AffineFit;
  warnings: string[];
  limit?: { value: number; from: 'runs' | 'flag'; central?: number; conservative?: number };
  at?: { x: number; value: number; interval?: [number, number] };
  heldOut: HeldOut[];
}

export interface ModelResult {
  parameter: string;
  /** The parameter in the experiment's terms, e.g. faults[0].clients (list-flood of pods). */
  describes: string;
  confidence: number;
  runs: number;
  quantities: QuantityModel[];
  /** Quantities no run measured or with fewer than two usable points. */
  notFitted: { name: string; reason: string }[];
}

/** The one limit every run shares, if they share one (a search keeps the limit fixed). */
function sharedLimit(observable: Observable, runs: ModelRun[]): number | undefined {
  const limits = new Set(runs.map(({ run }) => observable.limitOf?.(run)));
  const [only] = limits;
  return limits.size === 1 && only ? only : undefined;
}

function modelOne(observable: Observable, runs: ModelRun[], options: ModelOptions): QuantityModel | string {
  const confidence = options.confidence ?? 0.9;
  const usable: QuantityModel['points'] = [];
  const excluded: QuantityModel['excluded'] = [];
  for (const { x, run } of runs) {
    const y = observable.measure(run);
    const reason = observable.censored(run);
    if (y === undefined) continue;
    if (reason) excluded.push({ x, y, runId: run.summary.runId, reason });
    else usable.push({ x, y, runId: run.summary.runId });
  }
  const points = usable.filter((p) => options.fitUpTo === undefined || p.x <= options.fitUpTo);
  if (new Set(points.map((p) => p.x)).size < 2)
    return usable.length ? 'fewer than two parameter values with a usable measurement' : 'not measured by these runs';
  const fit = fitAffine(points.map((p) => [p.x, p.y]));
  const heldOut = usable
    .filter((p) => options.fitUpTo !== undefined && p.x > options.fitUpTo)
    .map((p) => ({ x: p.x, runId: p.runId, measured: p.y, predicted: predict(fit, p.x), interval: predictionInterval(fit, p.x, confidence) }));
  const flagged = options.limits?.[observable.name];
  const limitValue = flagged ?? sharedLimit(observable, runs);
  const limit =
    limitValue === undefined
      ? undefined
      : { value: limitValue, from: flagged === undefined ? ('runs' as const) : ('flag' as const), ...solveForLimit(fit, limitValue, confidence) };
  const at =
    options.at === undefined ? undefined : { x: options.at, value: predict(fit, options.at), interval: predictionInterval(fit, options.at, confidence) };
  return {
    name: observable.name,
    title: observable.title,
    unit: observable.unit,
    points,
    excluded,
    fit,
    warnings: linearityWarnings(fit, options.at ?? limit?.central),
    ...(limit ? { limit } : {}),
    ...(at ? { at } : {}),
    heldOut,
  };
}

/** An affine fit of every observed quantity against the parameter, with what it predicts. */
export function buildModel(runs: ModelRun[], options: ModelOptions): ModelResult {
  const quantities: QuantityModel[] = [];
  const notFitted: ModelResult['notFitted'] = [];
  for (const observable of observables) {
    const model = modelOne(observable, runs, options);
    if (typeof model === 'string') notFitted.push({ name: observable.name, reason: model });
    else quantities.push(model);
  }
  return {
    parameter: options.parameter,
    describes: describeParameter(runs[0]?.run.experiment, options.parameter),
    confidence: options.confidence ?? 0.9,
    runs: runs.length,
    quantities,
    notFitted,
  };
}
