import type { MetricHypothesisSpec } from '../experiment/schema.js';

/** The series a PromQL hypothesis's answers are recorded as, one per result series, labelled with the hypothesis. */
export const promqlMetric = 'cpchaos_promql';

/** The recorded series a metric hypothesis reads: its metric, or for `promql:` the answers recorded under its name. */
export function seriesOf(spec: MetricHypothesisSpec): { metric: string; labels?: Record<string, string> } {
  if (spec.promql !== undefined) return { metric: promqlMetric, labels: { ...spec.labels, hypothesis: spec.name } };
  return { metric: spec.metric ?? '', ...(spec.labels ? { labels: spec.labels } : {}) };
}

/** What the hypothesis looks at, as people read it: the metric name or the PromQL expression. */
export function subjectOf(spec: MetricHypothesisSpec): string {
  return spec.promql ?? spec.metric ?? '';
}
