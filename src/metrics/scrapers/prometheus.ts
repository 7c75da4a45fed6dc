import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { get } from '../../cluster/https.js';
import type { ApiserverAccess } from '../../core/cluster.js';
import { ChangeFilter } from '../change-filter.js';
import type { Sample } from '../../core/sample.js';
import type { Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** What every run records from /metrics: memory, CPU, in-flight and queued requests, APF, storage, etcd health. */
export const defaultMetricPatterns = [
  /^process_(resident_memory_bytes|cpu_seconds_total|open_fds)$/,
  /^go_(memstats_heap_inuse_bytes|memstats_heap_alloc_bytes|goroutines)$/,
  /^apiserver_current_inflight_requests$/,
  /^apiserver_flowcontrol_(current_inqueue_requests|current_executing_requests|current_executing_seats|rejected_requests_total|nominal_limit_seats|dispatched_requests_total|request_wait_duration_seconds_(sum|count)|request_execution_seconds_(sum|count))$/,
  /^apiserver_request_total$/,
  /^apiserver_request_duration_seconds_(sum|count)$/,
  /^apiserver_storage_objects$/,
  /^apiserver_storage_list_(fetched|returned|evaluated)_objects_total$/,
  /^apiserver_watch_events_total$/,
  /^apiserver_longrunning_requests$/,
  /^apiserver_response_sizes_(sum|count)$/,
  /^etcd_mvcc_db_total_size_in_bytes$/,
  /^etcd_debugging_mvcc_keys_total$/,
  /^etcd_server_(has_leader|leader_changes_seen_total|slow_apply_total|slow_read_indexes_total)$/,
  /^etcd_disk_(backend_commit|wal_fsync)_duration_seconds_(sum|count)$/,
  /^etcd_network_client_grpc_(received|sent)_bytes_total$/,
];

/** The family name a sample line belongs to: histogram and summary lines carry a suffix. */
function familyOf(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

/**
 * Keeps only the sample lines of wanted series before parsing: an apiserver's /metrics
 * is megabytes, and we want a few dozen series. The # HELP and # TYPE lines go too: the
 * parser folds a histogram or summary family into one unlabelled series (it keeps the
 * buckets of the last one), so every line is handed to it as an untyped sample, its
 * _bucket, _sum and _count lines under their own names, with all their labels.
 */
export function filterExposition(text: string, wanted: (name: string) => boolean): string {
  const keep: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const end = line.search(/[{ ]/);
    const name = end < 0 ? line : line.slice(0, end);
    if (name && (wanted(name) || wanted(familyOf(name)))) keep.push(line);
  }
  // The parser drops a last line that has no newline.
  return `${keep.join('\n')}\n`;
}

/**
 * Turns a Prometheus text exposition into samples, keeping only the wanted names.
 * With `buckets`, a histogram bucket is recorded only when its count changed.
 */
export function parseExposition(
  text: string,
  t: number,
  baseLabels: Record<string, string>,
  wanted: (name: string) => boolean,
  buckets?: ChangeFilter,
): Sample[] {
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(filterExposition(text, wanted))) {
    if (!wanted(family.name)) continue;
    for (const metric of family.metrics) {
      const value = Number(metric.value);
      if (metric.value === undefined || Number.isNaN(value)) continue;
      const labels = { ...metric.labels, ...baseLabels };
      if (buckets && family.name.endsWith('_bucket') && !buckets.changed(family.name, labels, value)) continue;
      samples.push({ t, metric: family.name, labels, value });
    }
  }
  return samples;
}

export function metricFilter(extra: string[] = []): (name: string) => boolean {
  const patterns = [...defaultMetricPatterns, ...extra.map((source) => new RegExp(`^(?:${source})$`))];
  return (name) => patterns.some((pattern) => pattern.test(name));
}

/** A component's /metrics endpoint (the apiserver with the admin certificate, etcd over plain HTTP on loopback). */
export class PrometheusScraper implements Scraper {
  readonly name: string;
  private readonly buckets = new ChangeFilter();

  constructor(
    private readonly component: string,
    private readonly url: string,
    private readonly wanted: (name: string) => boolean,
    private readonly access?: ApiserverAccess,
    private readonly timeoutMs = 5_000,
  ) {
    this.name = `${component} /metrics`;
  }

  async scrape(t: number): Promise<Sample[]> {
    const response = await get(this.url, this.access, this.timeoutMs);
    if (response.status !== 200) throw new Error(`${this.url}: HTTP ${response.status}`);
    return parseExposition(response.body, t, { component: this.component }, this.wanted, this.buckets);
  }
}

/** Every /metrics endpoint the cluster offers, filtered to what is recorded. */
export const prometheusScraper: ScraperPlugin = {
  name: 'prometheus',
  // On a cluster we do not own this is the apiserver's /metrics, read with the run's identity.
  access: [{ path: '/metrics', verbs: ['get'] }],
  create: ({ cluster, experiment, recording }) => {
    const wanted = metricFilter([...(experiment.metrics?.include ?? []), ...recording.metrics]);
    return cluster.metricsTargets().map((t) => new PrometheusScraper(t.component, t.url, wanted, t.access));
  },
};
