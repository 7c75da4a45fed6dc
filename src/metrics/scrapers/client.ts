import type { Sample } from '../../core/sample.js';
import type { SampleSource, Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** The runner's own requests: latency, status codes, bytes (cpchaos_client_*). */
export class ClientScraper implements Scraper {
  readonly name = 'runner client';

  constructor(private readonly stats: SampleSource) {}

  async scrape(t: number): Promise<Sample[]> {
    return this.stats.drain(t);
  }
}

export const clientScraper: ScraperPlugin = {
  name: 'client',
  create: ({ stats }) => [new ClientScraper(stats)],
};
