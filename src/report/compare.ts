import { formatBytes } from '../units.js';
import { loadRunData } from './run-data.js';
import type { Summary } from './summary.js';

export interface RunFigures {
  dir: string;
  runId: string;
  experiment: string;
  status: string;
  peakApiserverRss?: number;
  peakEtcdRss?: number;
  peakApiserverCgroup?: number;
  oomKills: number;
  restarts: number;
  client429: number;
  listP99Ms?: number;
  relists: number;
  verdicts: Summary['verdicts'];
}

const peakMetrics = new Set(['process_resident_memory_bytes', 'cpchaos_cgroup_memory_usage_bytes']);

export async function loadRunFigures(dir: string): Promise<RunFigures> {
  const { summary, store } = await loadRunData(dir, () => (metric) => peakMetrics.has(metric));
  const lists = summary.client.filter((c) => c.verb === 'list');
  return {
    dir,
    runId: summary.runId,
    experiment: summary.experiment.variant ? `${summary.experiment.name} (${summary.experiment.variant})` : summary.experiment.name,
    status: summary.status,
    peakApiserverRss: store.peak('process_resident_memory_bytes', { component: 'apiserver' }),
    peakEtcdRss: store.peak('process_resident_memory_bytes', { component: 'etcd' }),
    peakApiserverCgroup: store.peak('cpchaos_cgroup_memory_usage_bytes', { component: 'apiserver' }),
    oomKills: summary.events.oomKills,
    restarts: summary.events.restarts,
    client429: summary.client.reduce((n, c) => n + (c.codes['429'] ?? 0), 0),
    listP99Ms: lists.length ? Math.max(...lists.map((c) => c.p99Ms)) : undefined,
    relists: (summary.fleet ?? []).reduce((n, f) => n + f.relists, 0),
    verdicts: summary.verdicts,
  };
}

function delta(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || base === 0) return '';
  const percent = ((value - base) / base) * 100;
  return ` (${percent >= 0 ? '+' : ''}${percent.toFixed(0)} %)`;
}

/** A side-by-side table of runs; deltas are against the first run. */
export function comparisonMarkdown(runs: RunFigures[]): string {
  const [base] = runs;
  const row = (label: string, cell: (run: RunFigures) => string) => `| ${label} | ${runs.map(cell).join(' | ')} |`;
  const bytes = (get: (r: RunFigures) => number | undefined) => (run: RunFigures) => {
    const value = get(run);
    return value === undefined ? '-' : `${formatBytes(value)}${run === base ? '' : delta(value, get(base!))}`;
  };
  const lines = [
    `| | ${runs.map((r) => `${r.experiment} \`${r.runId}\``).join(' | ')} |`,
    `|---|${runs.map(() => '---').join('|')}|`,
    row('status', (r) => r.status),
    row(
      'peak apiserver RSS',
      bytes((r) => r.peakApiserverRss),
    ),
    row(
      'peak apiserver cgroup memory',
      bytes((r) => r.peakApiserverCgroup),
    ),
    row(
      'peak etcd RSS',
      bytes((r) => r.peakEtcdRss),
    ),
    row('OOM kills / restarts', (r) => `${r.oomKills} / ${r.restarts}`),
    row('429 responses', (r) => String(r.client429)),
    row('slowest LIST p99', (r) => (r.listP99Ms === undefined ? '-' : `${r.listP99Ms.toFixed(0)} ms${r === base ? '' : delta(r.listP99Ms, base!.listP99Ms)}`)),
    row('agent relists', (r) => String(r.relists)),
  ];
  const names = [...new Set(runs.flatMap((r) => r.verdicts.map((v) => v.name)))];
  for (const name of names) {
    lines.push(
      row(name, (r) => {
        const verdict = r.verdicts.find((v) => v.name === name);
        return verdict ? `${verdict.status}: ${verdict.observedText}` : '-';
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}
