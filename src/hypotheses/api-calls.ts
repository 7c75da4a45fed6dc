import { histogramQuantile, type Bucket } from '../metrics/histogram.js';
import type { Sample } from '../core/sample.js';

/** The apiserver's SLI histogram: latency without webhooks and APF queueing, by verb, resource, subresource and scope. */
export const sliBucketMetric = 'apiserver_request_sli_duration_seconds_bucket';

/** What the SLO is judged per: the (resource, subresource, verb, scope) of an API call. */
export interface ApiCall {
  resource: string;
  subresource: string;
  verb: string;
  scope: string;
}

/** Long-running and streaming calls are not API calls in the SLO's sense; neither are /healthz and the like. */
const excludedVerbs = new Set(['WATCH', 'WATCHLIST', 'CONNECT']);
const excludedSubresources = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);

export function isSloCall(labels: Record<string, string>): boolean {
  return Boolean(labels.resource) && !excludedVerbs.has(labels.verb ?? '') && !excludedSubresources.has(labels.subresource ?? '');
}

export function callName(call: ApiCall): string {
  return `${call.resource}${call.subresource ? `/${call.subresource}` : ''} ${call.verb} (${call.scope || 'no'} scope)`;
}

const callKey = (labels: Record<string, string>) => [labels.resource, labels.subresource, labels.verb, labels.scope].map((v) => v ?? '').join('|');

/** One recorded counter, its increases summed across restarts, readable at any time. */
class Counter {
  readonly times: number[] = [];
  readonly totals: number[] = [];

  /**
   * A series first seen at its source's first scrape already counted calls from before
   * the recording: those are its baseline. One that appeared later counted only calls since.
   */
  constructor(points: [number, number][], existedAtStart: boolean) {
    let total = existedAtStart ? -points[0]![1] : 0;
    let previous = 0;
    for (const [t, value] of points) {
      total += value >= previous ? value - previous : value;
      previous = value;
      this.times.push(t);
      this.totals.push(total);
    }
  }

  /** Calls counted up to t (a series records only its changes, so the last value at or before t). */
  at(t: number): number {
    let low = 0;
    let high = this.times.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.times[mid]! <= t) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found < 0 ? 0 : this.totals[found]!;
  }
}

function groupSeries(samples: Sample[]): Map<string, Sample[]> {
  const series = new Map<string, Sample[]>();
  for (const sample of samples) {
    const key = JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => a.localeCompare(b)));
    let list = series.get(key);
    if (!list) series.set(key, (list = []));
    list.push(sample);
  }
  return series;
}

/** The SLI histogram of every API call, summed over apiservers, versions and groups, for any window of the run. */
export class ApiCallHistograms {
  private readonly byCall = new Map<string, { call: ApiCall; buckets: Map<number, Counter[]> }>();
  /** Every time a recorded count changed: where a window's p99 can change. */
  readonly changeTimes: number[];

  constructor(samples: Sample[]) {
    const firstScrape = new Map<string, number>();
    for (const s of samples) firstScrape.set(s.labels.component ?? '', Math.min(firstScrape.get(s.labels.component ?? '') ?? Infinity, s.t));
    const times = new Set<number>();
    for (const list of groupSeries(samples.filter((s) => isSloCall(s.labels))).values()) {
      list.sort((a, b) => a.t - b.t);
      const labels = list[0]!.labels;
      const counter = new Counter(
        list.map((s) => [s.t, s.value]),
        list[0]!.t === firstScrape.get(labels.component ?? ''),
      );
      for (const s of list) times.add(s.t);
      const key = callKey(labels);
      let entry = this.byCall.get(key);
      if (!entry) {
        const call = { resource: labels.resource ?? '', subresource: labels.subresource ?? '', verb: labels.verb ?? '', scope: labels.scope ?? '' };
        this.byCall.set(key, (entry = { call, buckets: new Map() }));
      }
      const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
      entry.buckets.set(le, [...(entry.buckets.get(le) ?? []), counter]);
    }
    this.changeTimes = [...times].sort((a, b) => a - b);
  }

  calls(): ApiCall[] {
    return [...this.byCall.values()].map((e) => e.call);
  }

  /** The calls of one kind made in (from, to], as a cumulative histogram. */
  histogram(call: ApiCall, from: number, to: number): Bucket[] {
    const entry = this.byCall.get(callKey({ ...call }));
    if (!entry) return [];
    return [...entry.buckets].map(([le, counters]) => ({ le, count: counters.reduce((sum, c) => sum + c.at(to) - c.at(from), 0) }));
  }

  /** The number of calls and their p99 in (from, to]; NaN p99 when there were none. */
  p99(call: ApiCall, from: number, to: number): { p99: number; count: number } {
    const buckets = this.histogram(call, from, to);
    const count = buckets.find((b) => b.le === Number.POSITIVE_INFINITY)?.count ?? 0;
    return { p99: count > 0 ? histogramQuantile(0.99, buckets) : Number.NaN, count };
  }
}

/**
 * The windows an SLO over `length` is judged in, within [from, to]: one window when the
 * span is no longer than that (and the verdict says so), else every window of that
 * length ending where a count changed or where a change leaves it.
 */
export function sliWindows(from: number, to: number, length: number, changeTimes: readonly number[]): { from: number; to: number }[] {
  if (to - from <= length) return [{ from, to }];
  const ends = new Set<number>([to]);
  for (const t of changeTimes) {
    for (const end of [t, t + length]) if (end >= from + length && end <= to) ends.add(end);
  }
  return [...ends].sort((a, b) => a - b).map((end) => ({ from: end - length, to: end }));
}
