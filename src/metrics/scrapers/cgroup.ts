import type { MemoryCgroup } from '../../core/cluster.js';
import type { Sample } from '../../core/sample.js';
import type { Scraper } from '../../core/scraper.js';
import type { ScraperPlugin } from '../../core/plugin.js';

/** Memory usage, limit and OOM kills of each component's cgroup. */
export class CgroupScraper implements Scraper {
  readonly name = 'cgroups';

  constructor(private readonly cgroups: () => { component: string; cgroup: MemoryCgroup }[]) {}

  async scrape(t: number): Promise<Sample[]> {
    const samples: Sample[] = [];
    for (const { component, cgroup } of this.cgroups()) {
      const labels = { component };
      const [usage, limit, ooms] = await Promise.all([
        cgroup.usage().catch(() => undefined),
        cgroup.limit().catch(() => undefined),
        cgroup.oomKills().catch(() => undefined),
      ]);
      if (usage !== undefined) samples.push({ t, metric: 'cpchaos_cgroup_memory_usage_bytes', labels, value: usage });
      if (limit !== undefined) samples.push({ t, metric: 'cpchaos_cgroup_memory_limit_bytes', labels, value: limit });
      if (ooms !== undefined) samples.push({ t, metric: 'cpchaos_cgroup_oom_kills_total', labels, value: ooms });
    }
    return samples;
  }
}

export const cgroupScraper: ScraperPlugin = {
  name: 'cgroup',
  create: ({ cluster }) => (cluster.host ? [new CgroupScraper(() => cluster.host?.cgroups() ?? [])] : []),
};
