import type { Sample, Sink } from './sample.js';
import type { Scraper } from './scrapers/types.js';
import type { SampleStore } from './store.js';
import { messageOf } from '../errors.js';

/**
 * Scrapes every source once per interval, in parallel, and hands the samples to
 * the store and every sink. A source that fails is reported once when it starts
 * failing and once when it recovers, not every second.
 */
export class Recorder {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly failing = new Set<string>();
  rounds = 0;

  constructor(
    private readonly scrapers: Scraper[],
    private readonly store: SampleStore,
    private readonly sinks: Sink[],
    private readonly intervalMs: number,
    private readonly event: (type: 'scrape-failed' | 'scrape-recovered', message: string) => void,
    private readonly onRound?: (t: number) => void,
  ) {}

  start(): void {
    const tick = () => {
      if (!this.running) this.running = this.round().finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  async round(): Promise<void> {
    const t = Date.now();
    const results = await Promise.all(
      this.scrapers.map(async (scraper) => {
        try {
          const samples = await scraper.scrape(t);
          if (this.failing.delete(scraper.name)) this.event('scrape-recovered', `${scraper.name} answers again`);
          return samples;
        } catch (error) {
          if (!this.failing.has(scraper.name)) {
            this.failing.add(scraper.name);
            this.event('scrape-failed', `${scraper.name}: ${messageOf(error)}`);
          }
          return [] as Sample[];
        }
      }),
    );
    const samples = results.flat();
    this.store.add(samples);
    for (const sink of this.sinks) sink.writeSamples(samples);
    this.rounds++;
    this.onRound?.(t);
  }

  /**
   * A round now, after any under way: what the sources hold at this moment is in the store when it
   * resolves. A window that closes on an event (every agent watching again) closes after it, or the
   * counts of the last interval would fall outside it.
   */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    const round = this.round();
    this.running = round.finally(() => (this.running = undefined));
    await this.running;
  }

  /** Stops the loop after a last round, so the final state is recorded. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.round();
  }
}
