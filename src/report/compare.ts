import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { UsageError } from '../errors.js';
import type { Sample } from '../metrics/sample.js';
import { formatBytes } from '../units.js';
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

/** Peak values from a run's metrics.ndjson, read line by line: the file can be hundreds of MB. */
async function peaks(file: string): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  const wanted = new Set(['process_resident_memory_bytes', 'cpchaos_cgroup_memory_usage_bytes']);
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('memory')) continue;
    const sample = JSON.parse(line) as Sample;
    if (!wanted.has(sample.metric)) continue;
    const key = `${sample.metric}/${sample.labels.component}`;
    result.set(key, Math.max(result.get(key) ?? 0, sample.value));
  }
  return result;
}

export async function loadRunFigures(dir: string): Promise<RunFigures> {
  let summary: Summary;
  try {
    summary = JSON.parse(await fs.readFile(path.join(dir, 'summary.json'), 'utf8')) as Summary;
  } catch {
    throw new UsageError(`${dir} is not a run folder (no readable summary.json)`);
  }
  const peak = await peaks(path.join(dir, 'metrics.ndjson')).catch(() => new Map<string, number>());
  const lists = summary.client.filter((c) => c.verb === 'list');
  return {
    dir,
    runId: summary.runId,
    experiment: summary.experiment.variant ? `${summary.experiment.name} (${summary.experiment.variant})` : summary.experiment.name,
    status: summary.status,
    peakApiserverRss: peak.get('process_resident_memory_bytes/apiserver'),
    peakEtcdRss: peak.get('process_resident_memory_bytes/etcd'),
    peakApiserverCgroup: peak.get('cpchaos_cgroup_memory_usage_bytes/apiserver'),
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
    row('peak apiserver RSS', bytes((r) => r.peakApiserverRss)),
    row('peak apiserver cgroup memory', bytes((r) => r.peakApiserverCgroup)),
    row('peak etcd RSS', bytes((r) => r.peakEtcdRss)),
    row('OOM kills / restarts', (r) => `${r.oomKills} / ${r.restarts}`),
    row('429 responses', (r) => String(r.client429)),
    row('slowest LIST p99', (r) => (r.listP99Ms === undefined ? '-' : `${r.listP99Ms.toFixed(0)} ms${r === base ? '' : delta(r.listP99Ms, base!.listP99Ms)}`)),
    row('agent relists', (r) => String(r.relists)),
  ];
  const names = [...new Set(runs.flatMap((r) => r.verdicts.map((v) => v.name)))];
  for (const name of names) {
    lines.push(row(name, (r) => {
      const verdict = r.verdicts.find((v) => v.name === name);
      return verdict ? `${verdict.status}: ${verdict.observedText}` : '-';
    }));
  }
  return `${lines.join('\n')}\n`;
}
