import type { PromqlQuery, ScraperPlugin } from '../../core/plugin.js';
import type { MetricHypothesisSpec } from '../../experiment/schema.js';
import { promqlMetric } from '../../hypotheses/series.js';
import { ChangeFilter } from '../change-filter.js';
import type { Sample } from '../../core/sample.js';
import type { Scraper } from '../../core/scraper.js';

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/** One PromQL expression, asked of the user's Prometheus at each sample time; every result series recorded. */
export class PromqlScraper implements Scraper {
  readonly name: string;
  private readonly metric: string;
  private readonly changes?: ChangeFilter;

  constructor(
    private readonly query: PromqlQuery,
    private readonly timeoutMs = 5_000,
  ) {
    this.name = `promql (${query.hypothesis})`;
    this.metric = query.metric ?? promqlMetric;
    if (query.changesOnly) this.changes = new ChangeFilter();
  }

  async scrape(t: number): Promise<Sample[]> {
    const { prometheus, expression, hypothesis } = this.query;
    const query = new URLSearchParams({ query: expression, time: String(t / 1000) });
    const response = await fetch(`${prometheus.replace(/\/$/, '')}/api/v1/query?${query}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const body = (await response.json()) as QueryResponse;
    if (body.status !== 'success' || !body.data) throw new Error(`${prometheus}: ${body.error ?? `HTTP ${response.status}`}`);
    const labels = { component: 'prometheus', hypothesis };
    if (body.data.resultType === 'scalar') {
      const [, value] = body.data.result as [number, string];
      return [{ t, metric: this.metric, labels, value: Number(value) }];
    }
    if (body.data.resultType !== 'vector')
      throw new Error(`${hypothesis}: the expression gives a ${body.data.resultType}; a hypothesis needs an instant vector or a scalar`);
    const samples = (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((series) => {
      const kept = Object.fromEntries(Object.entries(series.metric).filter(([name]) => name !== '__name__'));
      return { t, metric: this.metric, labels: { ...kept, ...labels }, value: Number(series.value[1]) };
    });
    return this.changes ? samples.filter((s) => this.changes!.changed(s.metric, s.labels, s.value)) : samples;
  }
}

/** A scraper per `promql:` hypothesis: what it asks is recorded like every other series, judged over the same windows, charted in the report. */
export const promqlScraper: ScraperPlugin = {
  name: 'promql',
  create: ({ experiment, recording }) => [
    ...experiment.hypotheses
      .filter((h): h is MetricHypothesisSpec & { promql: string } => !('builtin' in h) && typeof h.promql === 'string')
      .map((h) => new PromqlScraper({ prometheus: (h.prometheus ?? experiment.metrics?.prometheus)!, expression: h.promql, hypothesis: h.name })),
    ...recording.promql.map((query) => new PromqlScraper(query)),
  ],
};
