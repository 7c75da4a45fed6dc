import type { Sample } from '../../core/sample.js';
import type { Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** cpchaos_apiserver_ready: 1 when /readyz answers 200 within a second, else 0. */
export class ReadinessScraper implements Scraper {
  readonly name = 'apiserver /readyz';

  constructor(private readonly ready: () => Promise<boolean>) {}

  async scrape(t: number): Promise<Sample[]> {
    return [{ t, metric: 'cpchaos_apiserver_ready', labels: { component: 'apiserver' }, value: (await this.ready()) ? 1 : 0 }];
  }
}

export const readinessScraper: ScraperPlugin = {
  name: 'readiness',
  create: ({ cluster }) => [new ReadinessScraper(() => cluster.ready())],
};
