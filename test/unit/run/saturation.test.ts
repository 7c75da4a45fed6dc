import test from 'ava';
import type { RunEvent } from '../../../src/core/sample.js';
import { SampleStore } from '../../../src/metrics/store.js';
import { runnerSaturation } from '../../../src/run/saturation.js';

const window = { from: 10_000, to: 20_000 };
const runner = { component: 'runner' };

/** A runner using `cores` of CPU, with `slowPerSecond` of its 100 ticks a second later than 100 ms, and open files, sampled every second of the window. */
function store(cores: number, slowPerSecond: number, openFds: number): SampleStore {
  const samples = [];
  for (let t = window.from; t <= window.to; t += 1000) {
    samples.push({ t, metric: 'cpchaos_process_cpu_seconds_total', labels: runner, value: ((t - window.from) / 1000) * cores });
    // 100 ticks a second; the share later than 100 ms is what a lag p99 over 100 ms means.
    const seconds = (t - window.from) / 1000;
    samples.push({ t, metric: 'cpchaos_process_event_loop_ticks_total', labels: runner, value: seconds * 100 });
    samples.push({ t, metric: 'cpchaos_process_event_loop_slow_ticks_total', labels: runner, value: seconds * slowPerSecond });
    samples.push({ t, metric: 'cpchaos_process_open_fds', labels: runner, value: openFds });
    samples.push({ t, metric: 'cpchaos_process_max_fds', labels: runner, value: 1000 });
    // The apiserver's CPU is not ours.
    samples.push({ t, metric: 'cpchaos_process_cpu_seconds_total', labels: { component: 'apiserver' }, value: (t - window.from) * 10 });
  }
  return SampleStore.fromSamples(samples);
}

const synced = (workerThreads: number): RunEvent[] => [{ t: 5_000, type: 'agents-synced', message: '', workerThreads }];

test('a runner within every limit is not saturated, and its figures are kept', (t) => {
  const judged = runnerSaturation(store(0.5, 0, 300), window, []);
  t.false(judged.saturated);
  t.deepEqual(judged.reasons, []);
  t.is(judged.cpuPerThread!.toFixed(2), '0.50');
  t.is(judged.openFilesShare, 0.3);
  t.is(judged.advice, undefined);
});

test('each limit alone saturates: a core per thread, a lag p99 over 100 ms (over 1 % of ticks that late), open files over 90 % of the limit', (t) => {
  t.regex(runnerSaturation(store(0.95, 0, 300), window, []).reasons.join(), /^CPU 0\.95 of a core per thread \(over 0\.9\)$/);
  t.regex(runnerSaturation(store(0.5, 2, 300), window, []).reasons.join(), /^event-loop lag p99 over 100 ms \(2\.0 % of its ticks were later than that\)$/);
  t.false(runnerSaturation(store(0.5, 1, 300), window, []).saturated, '1 % of ticks late is a p99 at the threshold, not over it');
  t.regex(runnerSaturation(store(0.5, 0, 950), window, []).reasons.join(), /^95 % of the open-file limit in use \(over 90 %\)$/);
  t.regex(runnerSaturation(store(0.95, 0, 300), window, []).advice!, /agents\[\]\.workers.*agents\[\]\.placement/);
});

test('CPU is per thread: 1.8 cores over the main thread and two workers is 0.6 each', (t) => {
  t.true(runnerSaturation(store(1.8, 0, 300), window, []).saturated);
  const judged = runnerSaturation(store(1.8, 0, 300), window, synced(2));
  t.false(judged.saturated);
  t.is(judged.cpuPerThread!.toFixed(2), '0.60');
});

test('no fault window, or no runner samples: nothing is claimed', (t) => {
  t.deepEqual(runnerSaturation(store(5, 50, 999), undefined, []), { saturated: false, reasons: [] });
  t.deepEqual(runnerSaturation(new SampleStore(), window, []), { saturated: false, reasons: [] });
});
