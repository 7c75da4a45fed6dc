import test from 'ava';
import { openFileLimit, RunnerScraper } from '../../../../src/metrics/scrapers/runner.js';

const values = (samples: { metric: string; value: number }[]) => new Map(samples.map((s) => [s.metric, s.value]));

test('the open-file limit is the soft one of /proc/self/limits; unlimited is no limit', (t) => {
  t.is(
    openFileLimit(
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                1048576              files\n',
    ),
    20000,
  );
  t.is(openFileLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  t.is(openFileLimit(''), undefined);
});

test('the runner records itself as a component: CPU, RSS, open files against their limit, threads, and the event-loop lag of a loop blocked on purpose', async (t) => {
  const scraper = new RunnerScraper();
  t.teardown(() => scraper.close());
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = values(await scraper.scrape(1));
  // Block this thread for 300 ms of its own CPU (longer on a loaded machine): the next round must show both.
  const start = process.cpuUsage();
  while (process.cpuUsage(start).user + process.cpuUsage(start).system < 300_000);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const samples = await scraper.scrape(2);
  t.true(samples.every((s) => s.labels.component === 'runner' && s.t === 2));
  const after = values(samples);
  t.true(after.get('cpchaos_process_cpu_seconds_total')! - before.get('cpchaos_process_cpu_seconds_total')! >= 0.25, 'the busy loop is CPU');
  t.true(after.get('cpchaos_process_event_loop_lag_max_seconds')! >= 0.25, `lag max ${after.get('cpchaos_process_event_loop_lag_max_seconds')}`);
  t.true(before.get('cpchaos_process_event_loop_lag_max_seconds')! < 0.25, 'the round before did not see it: each round has its own');
  t.true(after.get('cpchaos_process_resident_memory_bytes')! > 10 * 1024 * 1024);
  t.true(after.get('cpchaos_process_open_fds')! > 0 && after.get('cpchaos_process_open_fds')! < after.get('cpchaos_process_max_fds')!);
  t.true(after.get('cpchaos_process_threads')! >= 1);
});
