import type { Sample } from '../sample.js';

/** One source of samples, read once per recording interval. One file each. */
export interface Scraper {
  readonly name: string;
  scrape(t: number): Promise<Sample[]>;
}
