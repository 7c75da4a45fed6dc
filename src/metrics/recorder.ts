import type { Sample, Sink } from '../core/sample.js';
import type { Scraper } from '../core/scraper.js';
import type { SampleStore } from './store.js';
import { messageOf } from '../errors.js';

/**
 * Scrapes every source once per interval, each on its own: a source still busy with an
 * earlier round (a busy apiserver's /metrics can take seconds) skips this one and holds up no
 * other, so /proc and the cgroups are still sampled every interval when the apiserver is
 * slowest, which is when their samples matter. Samples go to the store and every sink as each
 * source answers. A source that fails is reported once when it starts failing and once when
 * it recovers, not every second.
 */
export class Recorder {
  private timer?: NodeJS.Timeout;
  /** The scrape under way of each source. */
  private readonly underWay = new Map<Scraper, Promise<void>>();
  private readonly failing = new Set<string>();
  private lastRoundAt = 0;
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
    const tick = () => void this.round();
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  /** Starts every source not still busy; resolves (and tells `onRound`) once those it started have answered. */
  async round(): Promise<void> {
    // Each round its own instant: two in one millisecond (a flush right after a tick) would give a
    // series two samples at one time, which the hypotheses add up as one.
    const t = Math.max(Date.now(), this.lastRoundAt + 1);
    this.lastRoundAt = t;
    const started = this.scrapers.filter((scraper) => !this.underWay.has(scraper)).map((scraper) => this.scrape(scraper, t));
    if (started.length === 0) return;
    await Promise.all(started);
    this.rounds++;
    this.onRound?.(t);
  }

  private scrape(scraper: Scraper, t: number): Promise<void> {
    const work = this.samplesOf(scraper, t)
      .then((samples) => {
        this.store.add(samples);
        for (const sink of this.sinks) sink.writeSamples(samples);
      })
      .finally(() => this.underWay.delete(scraper));
    this.underWay.set(scraper, work);
    return work;
  }

  private async samplesOf(scraper: Scraper, t: number): Promise<Sample[]> {
    try {
      const samples = await scraper.scrape(t);
      if (this.failing.delete(scraper.name)) this.event('scrape-recovered', `${scraper.name} answers again`);
      return samples;
    } catch (error) {
      if (!this.failing.has(scraper.name)) {
        this.failing.add(scraper.name);
        this.event('scrape-failed', `${scraper.name}: ${messageOf(error)}`);
      }
      return [];
    }
  }

  /** A round of every source, after whatever is under way, none of them skipped. */
  private async fullRound(): Promise<void> {
    // The check and the round run in one step, so two callers that wake from the same wait take
    // turns: the second finds the first's round under way and waits again.
    while (this.underWay.size > 0) await Promise.all(this.underWay.values());
    await this.round();
  }

  /**
   * A round now, after any under way: what the sources hold at this moment is in the store when it
   * resolves. A window that closes on an event (every agent watching again) closes after it, or the
   * counts of the last interval would fall outside it.
   */
  async flush(): Promise<void> {
    await this.fullRound();
  }

  /** Stops the loop after a last round, so the final state is recorded. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.fullRound();
    for (const scraper of this.scrapers) scraper.close?.();
  }
}
