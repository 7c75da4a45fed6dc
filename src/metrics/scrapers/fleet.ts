import type { Sample } from '../../core/sample.js';
import type { SampleSource, Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** The simulated agents' lists, relists, open watches and bytes (cpchaos_fleet_*). */
export class FleetScraper implements Scraper {
  readonly name = 'agent fleet';

  constructor(private readonly stats: SampleSource) {}

  async scrape(t: number): Promise<Sample[]> {
    return this.stats.drain(t);
  }
}

export const fleetScraper: ScraperPlugin = {
  name: 'fleet',
  create: ({ fleet }) => [new FleetScraper(fleet)],
};
