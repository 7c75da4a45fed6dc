import test from 'ava';
import { Recorder } from '../../../src/metrics/recorder.js';
import type { Sample } from '../../../src/core/sample.js';
import type { Scraper } from '../../../src/core/scraper.js';
import { SampleStore } from '../../../src/metrics/store.js';

/** A counter that only moves when the test says so, and slow rounds so a flush can meet one under way. */
class Counter implements Scraper {
  readonly name = 'counter';
  value = 0;
  scrapes = 0;
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly delayMs: number) {}
  async scrape(t: number): Promise<Sample[]> {
    this.scrapes++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    const value = this.value;
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.inFlight--;
    return [{ t, metric: 'c', labels: {}, value }];
  }
}

test('flush: what a source holds at that moment is in the store when it resolves, even with an hour between rounds', async (t) => {
  const counter = new Counter(5);
  const store = new SampleStore();
  const recorder = new Recorder([counter], store, [], 3_600_000, () => undefined);
  recorder.start();
  counter.value = 40;
  await recorder.flush();
  const values = store.select('c', undefined, 0, Number.POSITIVE_INFINITY).map((s) => s.value);
  t.is(values.at(-1), 40);
  t.true(values.includes(0), 'the first round, under way when the counter moved, recorded the old value');
  await recorder.stop();
});

test('flush waits for a round under way instead of running beside it', async (t) => {
  const counter = new Counter(30);
  const recorder = new Recorder([counter], new SampleStore(), [], 3_600_000, () => undefined);
  recorder.start();
  await Promise.all([recorder.flush(), recorder.flush()]);
  t.is(recorder.rounds, 3);
  t.is(counter.scrapes, 3);
  t.is(counter.maxInFlight, 1, 'one round at a time');
  await recorder.stop();
});

test('a slow source holds up no other: the quick one is sampled every interval while the slow one answers', async (t) => {
  const slow = Object.assign(new Counter(400), { name: 'slow' });
  const quick = Object.assign(new Counter(1), { name: 'quick' });
  const store = new SampleStore();
  const recorder = new Recorder([slow, quick], store, [], 50, () => undefined);
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await recorder.stop();
  t.true(quick.scrapes >= 6, `the quick source was scraped ${quick.scrapes} times in 500 ms at a 50 ms interval`);
  t.is(slow.maxInFlight, 1, 'the slow source is never scraped twice at once');
  t.true(slow.scrapes <= 3, `the slow source skipped the rounds it was busy for (${slow.scrapes} scrapes)`);
});

test('every round has an instant of its own, however quickly rounds follow each other', async (t) => {
  // A source that answers at once: twenty rounds fit in a millisecond or two.
  const instant: Scraper = { name: 'instant', scrape: (at) => Promise.resolve([{ t: at, metric: 'c', labels: {}, value: 1 }]) };
  const store = new SampleStore();
  const recorder = new Recorder([instant], store, [], 3_600_000, () => undefined);
  recorder.start();
  for (let i = 0; i < 20; i++) await recorder.flush();
  await recorder.stop();
  const times = store.select('c', undefined, 0, Number.POSITIVE_INFINITY).map((s) => s.t);
  t.is(times.length, 22);
  t.is(new Set(times).size, times.length, 'no two samples of the series share a time');
});
