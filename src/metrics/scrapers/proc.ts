import fs from 'node:fs/promises';
import type { Sample } from '../../core/sample.js';
import type { Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';
import { statCpuSeconds } from '../../util/proc-stat.js';

/** RSS and CPU of each control-plane process from /proc: still there when a /metrics endpoint is too busy to answer. */
export class ProcScraper implements Scraper {
  readonly name = '/proc';

  constructor(private readonly processes: () => { component: string; pid: number }[]) {}

  async scrape(t: number): Promise<Sample[]> {
    const samples: Sample[] = [];
    for (const { component, pid } of this.processes()) {
      try {
        const [status, stat] = await Promise.all([fs.readFile(`/proc/${pid}/status`, 'utf8'), fs.readFile(`/proc/${pid}/stat`, 'utf8')]);
        const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
        const cpuSeconds = statCpuSeconds(stat);
        const labels = { component };
        if (!Number.isNaN(rssKb)) samples.push({ t, metric: 'cpchaos_process_resident_memory_bytes', labels, value: rssKb * 1024 });
        samples.push({ t, metric: 'cpchaos_process_cpu_seconds_total', labels, value: cpuSeconds });
      } catch {
        // The process is gone (OOM-killed, restarting): no sample is the honest record.
      }
    }
    return samples;
  }
}

export const procScraper: ScraperPlugin = {
  name: 'proc',
  create: ({ cluster }) => (cluster.host ? [new ProcScraper(() => cluster.host?.processes() ?? [])] : []),
};
