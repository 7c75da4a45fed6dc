import type { SampleStore } from '../metrics/store.js';
import { formatBytes } from '../units.js';

/** The few numbers worth watching live, from the samples of the latest recording round. */
export class Gauges {
  private previous?: { t: number; throttled: number };

  constructor(private readonly store: SampleStore) {}

  private sum(metric: string, t: number, labels?: Record<string, string>): number | undefined {
    const samples = this.store.select(metric, labels, t, t);
    return samples.length ? samples.reduce((n, s) => n + s.value, 0) : undefined;
  }

  /** "apiserver 1.2 GiB | etcd 300 MiB | in flight 42 | 429/s 3.0 | relists 120". */
  text(t: number): string {
    const parts: string[] = [];
    for (const component of ['apiserver', 'etcd']) {
      const rss = this.sum('cpchaos_process_resident_memory_bytes', t, { component });
      if (rss !== undefined) parts.push(`${component} ${formatBytes(rss)}`);
    }
    const inflight = this.sum('apiserver_current_inflight_requests', t);
    if (inflight !== undefined) parts.push(`in flight ${inflight}`);
    const throttled = this.sum('cpchaos_client_429_total', t) ?? 0;
    if (this.previous && t > this.previous.t)
      parts.push(`429/s ${(Math.max(0, throttled - this.previous.throttled) / ((t - this.previous.t) / 1000)).toFixed(1)}`);
    this.previous = { t, throttled };
    const relists = this.sum('cpchaos_fleet_relists_total', t);
    if (relists !== undefined) parts.push(`relists ${relists}`);
    return parts.join(' | ');
  }
}
