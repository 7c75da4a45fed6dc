import type { ScraperPlugin } from '../../core/plugin.js';
import type { MetricHypothesisSpec } from '../../experiment/schema.js';
import { promqlMetric } from '../../hypotheses/series.js';
import type { Sample } from '../sample.js';
import type { Scraper } from './types.js';

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/** One PromQL hypothesis's expression, asked of the user's Prometheus at each sample time; every result series recorded. */
export class PromqlScraper implements Scraper {
  readonly name: string;

  constructor(
    private readonly url: string,
    private readonly expression: string,
    private readonly hypothesis: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.name = `promql (${hypothesis})`;
  }

  async scrape(t: number): Promise<Sample[]> {
    const query = new URLSearchParams({ query: this.expression, time: String(t / 1000) });
    const response = await fetch(`${this.url.replace(/\/$/, '')}/api/v1/query?${query}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const body = (await response.json()) as QueryResponse;
    if (body.status !== 'success' || !body.data) throw new Error(`${this.url}: ${body.error ?? `HTTP ${response.status}`}`);
    const labels = { component: 'prometheus', hypothesis: this.hypothesis };
    if (body.data.resultType === 'scalar') {
      const [, value] = body.data.result as [number, string];
      return [{ t, metric: promqlMetric, labels, value: Number(value) }];
    }
    if (body.data.resultType !== 'vector')
      throw new Error(`${this.hypothesis}: the expression gives a ${body.data.resultType}; a hypothesis needs an instant vector or a scalar`);
    return (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((series) => {
      const kept = Object.fromEntries(Object.entries(series.metric).filter(([name]) => name !== '__name__'));
      return { t, metric: promqlMetric, labels: { ...kept, ...labels }, value: Number(series.value[1]) };
    });
  }
}

/** A scraper per `promql:` hypothesis: what it asks is recorded like every other series, judged over the same windows, charted in the report. */
export const promqlScraper: ScraperPlugin = {
  name: 'promql',
  create: ({ experiment }) =>
    experiment.hypotheses
      .filter((h): h is MetricHypothesisSpec & { promql: string } => !('builtin' in h) && typeof h.promql === 'string')
      .map((h) => new PromqlScraper((h.prometheus ?? experiment.metrics?.prometheus)!, h.promql, h.name)),
};
