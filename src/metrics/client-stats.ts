import type { Sample } from '../core/sample.js';
import type { SampleSource } from '../core/scraper.js';

interface Series {
  verb: string;
  resource: string;
  /** Durations (ms) of requests finished since the last drain. */
  recent: number[];
  /** Every duration of the run, for the summary's percentiles. */
  all: number[];
  codes: Map<string, number>;
  bytes: number;
}

export interface RequestRecord {
  verb: string;
  resource: string;
  /** HTTP status, or the error code of a request that got no response (ECONNRESET, ETIMEDOUT...). */
  code: string;
  durationMs: number;
  bytes: number;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * The runner's own view of the apiserver: every request any seeder or fault makes
 * is counted here, by verb, resource and status, with its latency and the bytes
 * received. Drained into `cpchaos_client_*` samples once per recording interval.
 */
export class ClientStats implements SampleSource {
  private readonly series = new Map<string, Series>();

  record(request: RequestRecord): void {
    const key = `${request.verb} ${request.resource}`;
    let series = this.series.get(key);
    if (!series) {
      series = { verb: request.verb, resource: request.resource, recent: [], all: [], codes: new Map(), bytes: 0 };
      this.series.set(key, series);
    }
    series.recent.push(request.durationMs);
    series.all.push(request.durationMs);
    series.codes.set(request.code, (series.codes.get(request.code) ?? 0) + 1);
    series.bytes += request.bytes;
  }

  /** Cumulative counters and the latency quantiles of the requests finished since the last call. */
  drain(t: number): Sample[] {
    const samples: Sample[] = [];
    for (const s of this.series.values()) {
      const labels = { component: 'runner', verb: s.verb, resource: s.resource };
      for (const [code, count] of s.codes) samples.push({ t, metric: 'cpchaos_client_requests_total', labels: { ...labels, code }, value: count });
      samples.push({ t, metric: 'cpchaos_client_response_bytes_total', labels, value: s.bytes });
      samples.push({ t, metric: 'cpchaos_client_429_total', labels, value: s.codes.get('429') ?? 0 });
      if (s.recent.length) {
        const sorted = s.recent.sort((a, b) => a - b);
        for (const q of [0.5, 0.9, 0.99]) {
          samples.push({ t, metric: 'cpchaos_client_request_duration_seconds', labels: { ...labels, quantile: String(q) }, value: quantile(sorted, q) / 1000 });
        }
        samples.push({ t, metric: 'cpchaos_client_request_duration_seconds_max', labels, value: sorted[sorted.length - 1]! / 1000 });
        s.recent = [];
      }
    }
    return samples;
  }

  /** Whole-run figures per verb and resource, for the summary. */
  totals(): { verb: string; resource: string; requests: number; codes: Record<string, number>; bytes: number; p50Ms: number; p99Ms: number; maxMs: number }[] {
    return [...this.series.values()].map((s) => {
      const sorted = [...s.all].sort((a, b) => a - b);
      return {
        verb: s.verb,
        resource: s.resource,
        requests: s.all.length,
        codes: Object.fromEntries(s.codes),
        bytes: s.bytes,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      };
    });
  }
}
