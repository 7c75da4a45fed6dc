import type { Sample } from './sample.js';

/** One source of samples, read once per recording interval. One file each. */
export interface Scraper {
  readonly name: string;
  scrape(t: number): Promise<Sample[]>;
  /** Releases what it holds between rounds (a timer), once the recording is over. */
  close?(): void;
}

/** Counters the runner keeps in memory (its client's requests, the agents'), read as samples since the last read. */
export interface SampleSource {
  drain(t: number): Sample[];
}
