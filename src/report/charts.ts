import type { MetricHypothesisSpec } from '../experiment/schema.js';
import { ApiCallHistograms, callName, sliBucketMetric } from '../hypotheses/api-calls.js';
import { seriesOf, subjectOf } from '../hypotheses/series.js';
import { thresholdValue } from '../hypotheses/metric.js';
import type { LabelMatcher } from '../metrics/store.js';
import type { ChartSeries, ChartSpec, ChartUnit, RunCharts, RunMarks } from './report-data.js';
import type { RunData } from './run-data.js';
import { eventsOf, type Sample } from '../core/sample.js';

/** Past this, a series is reduced to the highest value per bucket: peaks are what people look for. */
const maxPointsPerSeries = 1500;
/** cgroup v1 reports "no limit" as a number near 2^63. */
const unlimited = 2 ** 60;

const latencyMetric = 'cpchaos_client_request_duration_seconds';

/** The metric names the fixed charts read; hypotheses add their own. */
export const chartedMetrics = new Set([
  'cpchaos_process_resident_memory_bytes',
  'cpchaos_process_event_loop_lag_p99_seconds',
  'cpchaos_process_event_loop_lag_max_seconds',
  'cpchaos_cgroup_memory_usage_bytes',
  'cpchaos_cgroup_memory_limit_bytes',
  latencyMetric,
  'cpchaos_fleet_relist_duration_seconds',
  'apiserver_current_inflight_requests',
  'apiserver_flowcontrol_current_inqueue_requests',
  'apiserver_flowcontrol_rejected_requests_total',
  'cpchaos_client_429_total',
  'cpchaos_client_requests_total',
  'cpchaos_fleet_relists_total',
  'cpchaos_fleet_open_watches',
  // Recorded only when an api-call-latency hypothesis asks for it.
  sliBucketMetric,
]);

export function metricsForCharts(experiment: RunData['experiment']): (metric: string) => boolean {
  const hypothesisMetrics = new Set((experiment?.hypotheses ?? []).flatMap((h) => ('builtin' in h ? [] : [seriesOf(h).metric])));
  return (metric) => chartedMetrics.has(metric) || hypothesisMetrics.has(metric);
}

function downsample(points: [number, number][]): [number, number][] {
  if (points.length <= maxPointsPerSeries) return points;
  const size = Math.ceil(points.length / maxPointsPerSeries);
  const reduced: [number, number][] = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    reduced.push(bucket.reduce((a, b) => (b[1] > a[1] ? b : a)));
  }
  return reduced;
}

/** Samples grouped into series by the values of `by`, summing the rest at each instant (one scrape shares a timestamp). */
function groupBy(samples: Sample[], by: string[]): Map<string, Map<number, number>> {
  const groups = new Map<string, Map<number, number>>();
  for (const s of samples) {
    const key = by.map((label) => s.labels[label] ?? '').join(' ');
    let points = groups.get(key);
    if (!points) groups.set(key, (points = new Map()));
    points.set(s.t, (points.get(s.t) ?? 0) + s.value);
  }
  return groups;
}

function sorted(points: Map<number, number>): [number, number][] {
  return [...points.entries()].sort((a, b) => a[0] - b[0]);
}

/** Per-second rate of a counter; a drop is a restart from zero. */
function rate(points: [number, number][]): [number, number][] {
  const result: [number, number][] = [];
  for (let i = 1; i < points.length; i++) {
    const [t0, v0] = points[i - 1]!;
    const [t1, v1] = points[i]!;
    const seconds = (t1 - t0) / 1000;
    if (seconds > 0) result.push([t1, (v1 >= v0 ? v1 - v0 : v1) / seconds]);
  }
  return result;
}

/** Increase of a counter since its first sample, across restarts. */
function increase(points: [number, number][]): [number, number][] {
  let total = 0;
  return points.map(([t, v], i) => {
    if (i > 0) {
      const previous = points[i - 1]![1];
      total += v >= previous ? v - previous : v;
    }
    return [t, total];
  });
}

class ChartBuilder {
  readonly charts: ChartSpec[] = [];

  constructor(
    private readonly data: RunData,
    private readonly origin: number,
  ) {}

  select(metric: string, labels?: LabelMatcher): Sample[] {
    return this.data.store.select(metric, labels, 0, Number.POSITIVE_INFINITY);
  }

  series(label: string, points: [number, number][], dashed = false): ChartSeries | undefined {
    if (points.length === 0) return undefined;
    return { label, points: downsample(points.map(([t, v]) => [(t - this.origin) / 1000, v])), ...(dashed ? { dashed } : {}) };
  }

  add(spec: Omit<ChartSpec, 'series' | 'thresholds'> & { series: (ChartSeries | undefined)[]; thresholds?: ChartSpec['thresholds'] }): void {
    const series = spec.series.filter((s): s is ChartSeries => s !== undefined);
    if (series.length) this.charts.push({ ...spec, series, thresholds: spec.thresholds ?? [] });
  }
}

function memoryChart(b: ChartBuilder, component: string): void {
  const rss = sorted(groupBy(b.select('cpchaos_process_resident_memory_bytes', { component }), []).get('') ?? new Map());
  const usage = sorted(groupBy(b.select('cpchaos_cgroup_memory_usage_bytes', { component }), []).get('') ?? new Map());
  const limit = sorted(groupBy(b.select('cpchaos_cgroup_memory_limit_bytes', { component }), []).get('') ?? new Map()).filter(([, v]) => v < unlimited);
  b.add({
    id: `memory-${component}`,
    title: `${component} memory`,
    unit: 'bytes',
    series: [b.series('RSS', rss), b.series('cgroup usage', usage), b.series('cgroup limit', limit, true)],
  });
}

/** Our own process: a limit found while the runner's event loop lagged is suspect, and this shows when it did. */
function runnerChart(b: ChartBuilder): void {
  const points = (metric: string) => sorted(groupBy(b.select(metric, { component: 'runner' }), []).get('') ?? new Map());
  b.add({
    id: 'runner-event-loop',
    title: 'runner event-loop lag',
    unit: 'seconds',
    series: [
      b.series('p99', points('cpchaos_process_event_loop_lag_p99_seconds')),
      b.series('max', points('cpchaos_process_event_loop_lag_max_seconds'), true),
    ],
  });
}

function latencyChart(b: ChartBuilder): void {
  const series: (ChartSeries | undefined)[] = [];
  const byRequest = groupBy(b.select(latencyMetric), ['verb', 'resource', 'quantile']);
  // The busiest requests first; a seeding phase can add a dozen verb/resource pairs.
  const counts = groupBy(b.select('cpchaos_client_requests_total'), ['verb', 'resource']);
  const volume = (key: string) => Math.max(0, ...(counts.get(key.split(' ').slice(0, 2).join(' '))?.values() ?? []));
  const keys = [...byRequest.keys()]
    .filter((key) => key.endsWith(' 0.5') || key.endsWith(' 0.99'))
    .sort((a, b2) => volume(b2) - volume(a) || a.localeCompare(b2))
    .slice(0, 8);
  for (const key of keys.sort()) {
    const [verb, resource, q] = key.split(' ');
    series.push(b.series(`${verb} ${resource} p${Number(q) * 100}`, sorted(byRequest.get(key)!), q !== '0.99'));
  }
  for (const [type, points] of groupBy(b.select('cpchaos_fleet_relist_duration_seconds', { quantile: '0.99' }), ['agent'])) {
    series.push(b.series(`${type || 'agent'} relist p99`, sorted(points)));
  }
  b.add({ id: 'latency', title: 'request latency (runner side)', unit: 'seconds', series });
}

/** The SLO's window: each point is the p99 of the calls in the 5 minutes up to it. */
const sliChartWindowMs = 5 * 60_000;

/** The SLI p99 of the slowest kinds of call against the SLO's limits, from the apiserver (or else a Prometheus). */
function sliChart(b: ChartBuilder): void {
  const direct = b.select(sliBucketMetric, { component: 'apiserver' });
  const histograms = new ApiCallHistograms(direct.length ? direct : b.select(sliBucketMetric));
  const times = histograms.changeTimes.filter((_, i, all) => i % Math.ceil(all.length / maxPointsPerSeries) === 0);
  const lines = histograms.calls().map((call) => {
    const points = times.map((t): [number, number] => [t, histograms.p99(call, t - sliChartWindowMs, t).p99]).filter(([, p99]) => Number.isFinite(p99));
    return { call, points, peak: Math.max(0, ...points.map(([, v]) => v)) };
  });
  const slowest = lines.sort((x, y) => y.peak - x.peak).slice(0, 8);
  const thresholds = [{ label: 'SLO: single objects 1s', value: 1 }];
  if (slowest.some((l) => l.peak > 10)) thresholds.push({ label: 'SLO: namespace and cluster calls 30s', value: 30 });
  b.add({
    id: 'api-call-latency',
    title: 'API call latency (SLI p99 over the last 5m)',
    unit: 'seconds',
    series: slowest.map((l) => b.series(callName(l.call), l.points)),
    thresholds,
  });
}

function concurrencyChart(b: ChartBuilder): void {
  const series: (ChartSeries | undefined)[] = [];
  for (const [kind, points] of groupBy(b.select('apiserver_current_inflight_requests'), ['request_kind']))
    series.push(b.series(`in flight (${kind})`, sorted(points)));
  for (const [level, points] of groupBy(b.select('apiserver_flowcontrol_current_inqueue_requests'), ['priority_level'])) {
    if ([...points.values()].some((v) => v > 0)) series.push(b.series(`in queue (${level})`, sorted(points), true));
  }
  b.add({ id: 'concurrency', title: 'requests in flight and in queue', unit: 'count', series });
}

function throttlingChart(b: ChartBuilder): void {
  const runner = sorted(groupBy(b.select('cpchaos_client_429_total'), []).get('') ?? new Map());
  const series = [b.series('runner 429/s', rate(runner))];
  for (const [reason, points] of groupBy(b.select('apiserver_flowcontrol_rejected_requests_total'), ['reason']))
    series.push(b.series(`APF rejected/s (${reason})`, rate(sorted(points)), true));
  if (series.some((s) => s?.points.some(([, v]) => v > 0))) b.add({ id: 'throttling', title: '429s per second', unit: 'per-second', series });
}

function relistChart(b: ChartBuilder): void {
  const series: (ChartSeries | undefined)[] = [];
  for (const [type, points] of groupBy(b.select('cpchaos_fleet_relists_total'), ['agent']))
    series.push(b.series(`${type || 'agent'} relists/s`, rate(sorted(points))));
  b.add({ id: 'relists', title: 'agent relists per second', unit: 'per-second', series });
  const watches: (ChartSeries | undefined)[] = [];
  for (const [type, points] of groupBy(b.select('cpchaos_fleet_open_watches'), ['agent']))
    watches.push(b.series(`${type || 'agent'} open watches`, sorted(points)));
  b.add({ id: 'watches', title: 'agent watches open', unit: 'count', series: watches });
}

function unitOf(metric: string): ChartUnit {
  if (metric.endsWith('_bytes') || metric.includes('_bytes_')) return 'bytes';
  if (metric.endsWith('_seconds') || metric.includes('_seconds_')) return 'seconds';
  return 'count';
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A chart per metric hypothesis: what it looked at, drawn the way it aggregated, with its threshold. */
function hypothesisChart(b: ChartBuilder, h: MetricHypothesisSpec): void {
  const counting = h.aggregate === 'rate' || h.aggregate === 'increase';
  const sum = h.sumBy ?? true;
  const { metric, labels } = seriesOf(h);
  const samples = b.select(metric, labels);
  const labelNames = sum ? [] : [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].filter((l) => l !== 'component' || !h.labels?.component).sort();
  const groups = [...groupBy(samples, labelNames)].slice(0, 12);
  const transform = h.aggregate === 'rate' ? rate : h.aggregate === 'increase' ? increase : (points: [number, number][]) => points;
  const series = groups.map(([key, points]) => b.series(key || subjectOf(h), transform(sorted(points))));
  const unit = h.aggregate === 'rate' ? 'per-second' : counting ? 'count' : unitOf(metric);
  b.add({
    id: `hypothesis-${slug(h.name)}`,
    title: `hypothesis: ${h.name}`,
    unit,
    series,
    thresholds: [{ label: `${h.aggregate} ${h.comparator} ${h.threshold} (${h.window ?? 'whole'})`, value: thresholdValue(h.threshold) }],
  });
}

/** The charts of one run, on a time axis in seconds from the first fault (from the start when there was none). */
export function runCharts(data: RunData, label = data.summary.experiment.variant ?? data.summary.runId): RunCharts {
  const starts = eventsOf(data.events, 'fault-start');
  const ends = [...eventsOf(data.events, 'fault-end'), ...eventsOf(data.events, 'fault-error')];
  const origin = starts[0]?.t ?? Date.parse(data.summary.startedAt);
  const at = (t: number) => (t - origin) / 1000;
  const faults: RunMarks['faults'] = starts.map((start) => {
    const end = ends.filter((e) => e.fault === start.fault && e.t >= start.t).sort((a, b) => a.t - b.t)[0];
    return { name: start.fault ?? start.message, from: at(start.t), to: at(end?.t ?? Date.parse(data.summary.endedAt)) };
  });
  const marks: RunMarks = {
    faults,
    oomKills: eventsOf(data.events, 'oom-kill').map((e) => ({ component: e.component, at: at(e.t) })),
    restarts: eventsOf(data.events, 'restarting').map((e) => ({ component: e.component, at: at(e.t) })),
  };

  const b = new ChartBuilder(data, origin);
  memoryChart(b, 'apiserver');
  memoryChart(b, 'etcd');
  latencyChart(b);
  sliChart(b);
  concurrencyChart(b);
  throttlingChart(b);
  relistChart(b);
  memoryChart(b, 'runner');
  runnerChart(b);
  for (const h of data.experiment?.hypotheses ?? []) if (!('builtin' in h)) hypothesisChart(b, h);
  return { label, marks, charts: b.charts };
}
