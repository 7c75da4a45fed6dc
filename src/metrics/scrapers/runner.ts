import fs from 'node:fs/promises';
import type { Sample } from '../../core/sample.js';
import type { Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';
import { saturationLimits } from '../../run/saturation.js';

/** The soft limit of open files from /proc/self/limits ("Max open files  20000  20000  files"). */
export function openFileLimit(limits: string): number | undefined {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  return match && match[1] !== 'unlimited' ? Number(match[1]) : undefined;
}

const tickMs = 10;
/** A tick later than the saturation threshold counts as slow, in a counter, so any window's share of them can be read. */
const slowTickMs = saturationLimits.eventLoopLagP99Seconds * 1000;

/**
 * How late a 10 ms timer of this thread fires: the event-loop lag every request of the
 * runner waits through. Our own timer rather than perf_hooks' monitorEventLoopDelay, whose
 * histogram stayed empty through a 300 ms block on a loaded machine.
 */
class LoopLag {
  private last = performance.now();
  private lags: number[] = [];
  ticks = 0;
  slowTicks = 0;
  private readonly timer = setInterval(() => {
    const now = performance.now();
    const lag = Math.max(0, now - this.last - tickMs);
    this.lags.push(lag);
    this.ticks++;
    if (lag > slowTickMs) this.slowTicks++;
    this.last = now;
  }, tickMs).unref();

  /** p99 and max in seconds since the last call (undefined: no tick yet), and a fresh start. */
  take(): { p99: number; max: number } | undefined {
    // A block still going on counts up to now: the tick that will measure it has not fired yet.
    const pending = Math.max(0, performance.now() - this.last - tickMs);
    const lags = [...this.lags, pending].sort((a, b) => a - b);
    this.lags = [];
    if (lags.length < 2) return undefined;
    return { p99: lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]! / 1000, max: lags.at(-1)! / 1000 };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * This process, recorded like the control plane's components (`component="runner"`): a
 * limit found while our own CPU, event loop or file descriptors ran out is ours, not the
 * apiserver's (kube-burner#891). The event-loop delay is this thread's; worker threads'
 * loops are not in it, their CPU is (one process).
 */
export class RunnerScraper implements Scraper {
  readonly name = 'runner';
  private readonly lag = new LoopLag();

  async scrape(t: number): Promise<Sample[]> {
    const labels = { component: 'runner' };
    const sample = (metric: string, value: number): Sample => ({ t, metric, labels, value });
    const cpu = process.cpuUsage();
    const samples = [
      sample('cpchaos_process_cpu_seconds_total', (cpu.user + cpu.system) / 1e6),
      sample('cpchaos_process_resident_memory_bytes', process.memoryUsage.rss()),
    ];
    // The lag since the last round: a round that saw no tick has no sample rather than a made-up zero.
    const lag = this.lag.take();
    if (lag) samples.push(sample('cpchaos_process_event_loop_lag_p99_seconds', lag.p99), sample('cpchaos_process_event_loop_lag_max_seconds', lag.max));
    samples.push(sample('cpchaos_process_event_loop_ticks_total', this.lag.ticks), sample('cpchaos_process_event_loop_slow_ticks_total', this.lag.slowTicks));
    const [fds, limits, status] = await Promise.all([
      fs.readdir('/proc/self/fd').catch(() => undefined),
      fs.readFile('/proc/self/limits', 'utf8').catch(() => ''),
      fs.readFile('/proc/self/status', 'utf8').catch(() => ''),
    ]);
    if (fds) samples.push(sample('cpchaos_process_open_fds', fds.length));
    const limit = openFileLimit(limits);
    if (limit !== undefined) samples.push(sample('cpchaos_process_max_fds', limit));
    const threads = /^Threads:\s+(\d+)/m.exec(status)?.[1];
    if (threads) samples.push(sample('cpchaos_process_threads', Number(threads)));
    return samples;
  }

  close(): void {
    this.lag.stop();
  }
}

export const runnerScraper: ScraperPlugin = {
  name: 'runner',
  create: () => [new RunnerScraper()],
};
