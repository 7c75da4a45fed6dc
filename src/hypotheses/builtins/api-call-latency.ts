import { Type, type Static } from '@sinclair/typebox';
import type { HypothesisPlugin, Problem } from '../../core/plugin.js';
import { Duration, Strict } from '../../experiment/schema-parts.js';
import { windows } from '../../experiment/schema.js';
import { formatDuration, parseDuration } from '../../units.js';
import { ApiCallHistograms, callName, sliBucketMetric, sliWindows, type ApiCall } from '../api-calls.js';
import { builtinSchema, type EvaluationContext, type Verdict } from '../../core/hypothesis.js';

const schema = builtinSchema('api-call-latency', {
  window: Type.Optional(windows),
  sliWindow: Type.Optional(Duration("the SLO's window: the p99 is taken over every window this long (default 5m)")),
  source: Type.Optional(
    Type.Union([Type.Literal('apiserver'), Type.Literal('prometheus')], {
      description: "where the SLI histogram comes from: the apiserver's /metrics (default) or the user's Prometheus",
    }),
  ),
  prometheus: Type.Optional(Type.String({ pattern: '^https?://', description: 'with source: prometheus, its URL (default metrics.prometheus)' })),
  selector: Type.Optional(
    Type.String({ pattern: '^[^{}]*$', description: 'with source: prometheus, label matchers that pick this cluster, e.g. job="apiserver"' }),
  ),
  thresholds: Type.Optional(
    Strict({
      resource: Type.Optional(Duration('single-object calls: GET and every mutating call (default 1s)')),
      namespace: Type.Optional(Duration('calls over a namespace: LIST, DELETECOLLECTION (default 30s)')),
      cluster: Type.Optional(Duration('calls over the cluster (default 30s)')),
    }),
  ),
  overrides: Type.Optional(
    Type.Array(
      Strict({
        resource: Type.String({ minLength: 1 }),
        verb: Type.String({ pattern: '^[A-Z]+$', description: 'as the apiserver counts it: GET, LIST, POST, PUT, PATCH, DELETE, APPLY, ...' }),
        scope: Type.Optional(Type.Union([Type.Literal('resource'), Type.Literal('namespace'), Type.Literal('cluster')])),
        subresource: Type.Optional(Type.String()),
        threshold: Duration('the p99 this call may take'),
      }),
    ),
  ),
});
type Spec = Static<typeof schema>;

/** kubernetes/community sig-scalability/slos/api_call_latency.md, as clusterloader2 applies it. */
const officialThresholds = { resource: '1s', namespace: '30s', cluster: '30s' };
/** The SLO presumes no more than this many objects created or deleted per second. */
const churnPrerequisite = 20;

interface Worst {
  call: ApiCall;
  p99: number;
  count: number;
  threshold: number;
  window: { from: number; to: number };
}

function thresholdOf(spec: Spec, call: ApiCall): number {
  const override = spec.overrides?.find(
    (o) =>
      o.resource === call.resource &&
      o.verb === call.verb &&
      (o.scope ?? call.scope) === call.scope &&
      (o.subresource ?? call.subresource) === call.subresource,
  );
  if (override) return parseDuration(override.threshold) / 1000;
  const scope = (call.scope === 'namespace' || call.scope === 'cluster' ? call.scope : 'resource') as keyof typeof officialThresholds;
  return parseDuration(spec.thresholds?.[scope] ?? officialThresholds[scope]) / 1000;
}

/** Where the judged samples come from: the scraped apiserver, or this hypothesis's answers from Prometheus. */
const sourceLabels = (spec: Spec): Record<string, string> =>
  spec.source === 'prometheus' ? { component: 'prometheus', hypothesis: spec.name } : { component: 'apiserver' };

/** Each call's worst window: the one whose p99 is farthest past (or closest to) its threshold. */
function worstWindows(spec: Spec, histograms: ApiCallHistograms, windowsToJudge: { from: number; to: number }[]): Worst[] {
  const worst: Worst[] = [];
  for (const call of histograms.calls()) {
    const threshold = thresholdOf(spec, call);
    let found: Worst | undefined;
    for (const window of windowsToJudge) {
      const { p99, count } = histograms.p99(call, window.from, window.to);
      if (count > 0 && (!found || p99 > found.p99)) found = { call, p99, count, threshold, window };
    }
    if (found) worst.push(found);
  }
  return worst.sort((a, b) => b.p99 / b.threshold - a.p99 / a.threshold);
}

/** The highest rate of creations and deletions in any judged window, for the SLO's prerequisite. */
function peakChurn(histograms: ApiCallHistograms, windowsToJudge: { from: number; to: number }[]): number {
  const writes = histograms.calls().filter((c) => c.verb === 'POST' || c.verb === 'DELETE');
  let peak = 0;
  for (const w of windowsToJudge) {
    const calls = writes.reduce((sum, call) => sum + histograms.p99(call, w.from, w.to).count, 0);
    if (w.to > w.from) peak = Math.max(peak, calls / ((w.to - w.from) / 1000));
  }
  return peak;
}

const seconds = (value: number) => (value < 1 ? `${Math.round(value * 1000)}ms` : `${value.toFixed(2)}s`);
const at = (t: number) => new Date(t).toISOString().slice(11, 19);

function describe(w: Worst): string {
  const past = w.p99 > w.threshold ? `, ${(w.p99 / w.threshold).toFixed(1)}x its limit` : '';
  return `${callName(w.call)} p99 ${seconds(w.p99)} > ${seconds(w.threshold)}${past}, in the window ${at(w.window.from)}–${at(w.window.to)} UTC (${w.count} calls)`;
}

function judge(spec: Spec, context: EvaluationContext): Verdict {
  const windowName = spec.window ?? 'during';
  const length = parseDuration(spec.sliWindow ?? '5m');
  const window = context.windows[windowName];
  const expected = `p99 per resource, verb and scope ≤ ${spec.thresholds?.resource ?? '1s'} (single objects), ≤ ${spec.thresholds?.namespace ?? '30s'} (namespace), ≤ ${spec.thresholds?.cluster ?? '30s'} (cluster)`;
  const base = { name: spec.name, kind: 'builtin' as const, window: windowName, expected };
  if (!window) return { ...base, status: 'not-checked', observedText: `the ${windowName} window did not happen` };
  const histograms = new ApiCallHistograms(context.store.select(sliBucketMetric, sourceLabels(spec), 0, window.to));
  const judged = sliWindows(window.from, window.to, length, histograms.changeTimes);
  const span =
    judged.length === 1 && window.to - window.from <= length
      ? `over the whole ${windowName} window (${formatDuration(window.to - window.from)}, shorter than the SLO's ${formatDuration(length)})`
      : `over every ${formatDuration(length)} window of ${windowName}`;
  const worst = worstWindows(spec, histograms, judged);
  if (!worst.length) {
    const why = histograms.calls().length
      ? 'no API calls counted in the window'
      : `no ${sliBucketMetric} samples${spec.source === 'prometheus' ? ' from Prometheus' : " (can this identity read the apiserver's /metrics? else use source: prometheus)"}`;
    return { ...base, status: 'no-data', observedText: 'no samples', detail: why };
  }
  const broken = worst.filter((w) => w.p99 > w.threshold);
  const churn = peakChurn(histograms, judged);
  const notes = [
    `judged ${span}, ${worst.length} kinds of call`,
    ...(churn > churnPrerequisite
      ? [`the SLO presumes at most ${churnPrerequisite} objects created or deleted per second; this run reached ${churn.toFixed(0)}/s`]
      : []),
  ];
  const top = broken.length ? broken : worst.slice(0, 1);
  return {
    ...base,
    status: broken.length ? 'deviated' : 'held',
    observed: top[0]!.p99,
    observedText: `${callName(top[0]!.call)} p99 ${seconds(top[0]!.p99)}`,
    detail: [...(broken.length ? broken.slice(0, 5).map(describe) : [`closest: ${describe(top[0]!).replace(' > ', ' against ')}`]), ...notes].join('; '),
  };
}

function problems(spec: Spec, experiment: Parameters<NonNullable<HypothesisPlugin<Spec>['validate']>>[1]): Problem[] {
  if (spec.source !== 'prometheus') {
    const stray = (['prometheus', 'selector'] as const).filter((key) => spec[key] !== undefined);
    return stray.map((key) => ({ path: [key], message: `${key}: goes with source: prometheus` }));
  }
  if (!spec.prometheus && !experiment.metrics?.prometheus)
    return [{ path: ['source'], message: 'source: prometheus needs prometheus: <url> here or metrics.prometheus for the experiment' }];
  return [];
}

/** The PromQL that gives the same histogram the apiserver exposes, summed over its replicas as the direct form sums them. */
function sliQuery(spec: Spec): string {
  const matchers = [
    'verb!~"WATCH|WATCHLIST|CONNECT"',
    'resource!=""',
    'subresource!~"log|exec|portforward|attach|proxy"',
    ...(spec.selector ? [spec.selector] : []),
  ];
  return `sum by (resource, subresource, verb, scope, le) (${sliBucketMetric}{${matchers.join(', ')}})`;
}

export const apiCallLatency: HypothesisPlugin<Spec> = {
  name: 'api-call-latency',
  description:
    "the Kubernetes API call latency SLO: every (resource, verb, scope)'s p99 over 5-minute windows within 1s for single objects and 30s for namespace and cluster calls",
  schema,
  validate: problems,
  recording(spec, experiment) {
    if (spec.source !== 'prometheus') return { metrics: [sliBucketMetric] };
    const prometheus = (spec.prometheus ?? experiment.metrics?.prometheus)!;
    return { promql: [{ prometheus, expression: sliQuery(spec), hypothesis: spec.name, metric: sliBucketMetric, changesOnly: true }] };
  },
  evaluate: judge,
};
