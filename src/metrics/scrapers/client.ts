import type { ClientStats } from '../client-stats.js';
import type { Sample } from '../sample.js';
import type { Scraper } from './types.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** The runner's own requests: latency, status codes, bytes (cpchaos_client_*). */
export class ClientScraper implements Scraper {
  readonly name = 'runner client';

  constructor(private readonly stats: ClientStats) {}

  async scrape(t: number): Promise<Sample[]> {
    return this.stats.drain(t);
  }
}

export const clientScraper: ScraperPlugin = {
  name: 'client',
  create: ({ stats }) => [new ClientScraper(stats)],
};
