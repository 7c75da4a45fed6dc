import type { FleetStats } from '../../load/agents/stats.js';
import type { Sample } from '../sample.js';
import type { Scraper } from './types.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** The simulated agents' lists, relists, open watches and bytes (cpchaos_fleet_*). */
export class FleetScraper implements Scraper {
  readonly name = 'agent fleet';

  constructor(private readonly stats: FleetStats) {}

  async scrape(t: number): Promise<Sample[]> {
    return this.stats.drain(t);
  }
}

export const fleetScraper: ScraperPlugin = {
  name: 'fleet',
  create: ({ fleet }) => [new FleetScraper(fleet)],
};
