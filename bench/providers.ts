/**
 * bench/providers: the quickstart on the local provider and on kind, interleaved
 * (local, kind, local, kind, ...) so that the shared machine's noise falls on both.
 * Per run: wall time, provision time, pod LIST p50/p99 during the flood, peak
 * apiserver RSS, verdict. Prints medians and kind/local ratios.
 * Run: npm run bench:providers [-- --runs 3]
 */
import './help.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Summary } from '../src/report/summary.js';

const repo = path.resolve(import.meta.dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3);
const experiments = { local: 'experiments/quickstart.yaml', kind: 'experiments/quickstart-kind.yaml' } as const;
type Provider = keyof typeof experiments;

interface Figures {
  wallS: number;
  provisionS: number;
  listP50Ms: number;
  listP99Ms: number;
  peakApiserverMiB: number;
  status: string;
}

async function peakRss(runDir: string): Promise<number> {
  let peak = 0;
  for (const line of (await fs.readFile(path.join(runDir, 'metrics.ndjson'), 'utf8')).split('\n')) {
    if (!line.includes('"process_resident_memory_bytes"') || !line.includes('"apiserver"')) continue;
    peak = Math.max(peak, (JSON.parse(line) as { value: number }).value);
  }
  return peak / 2 ** 20;
}

async function once(provider: Provider, results: string, index: number): Promise<Figures> {
  const runId = `${provider}-${index}`;
  const started = Date.now();
  await execa('node', ['bin/cpchaos.js', 'run', experiments[provider], '--results', results, '--run-id', runId, '--quiet'], { cwd: repo, reject: false });
  const wallS = (Date.now() - started) / 1000;
  const runDir = path.join(results, runId);
  const summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
  const list = summary.client.find((c) => c.verb === 'list' && c.resource === 'pods');
  return {
    wallS,
    provisionS: (summary.phases.find((p) => p.phase === 'provision')?.durationMs ?? 0) / 1000,
    listP50Ms: list?.p50Ms ?? NaN,
    listP99Ms: list?.p99Ms ?? NaN,
    peakApiserverMiB: await peakRss(runDir),
    status: summary.status,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const results = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-bench-providers-'));
const figures: Record<Provider, Figures[]> = { local: [], kind: [] };
try {
  for (let i = 0; i < runs; i++) {
    for (const provider of ['local', 'kind'] as const) {
      const f = await once(provider, results, i);
      figures[provider].push(f);
      console.log(`${provider.padEnd(5)} run ${i + 1}: ${JSON.stringify(f)}`);
    }
  }
} finally {
  await fs.rm(results, { recursive: true, force: true });
}
console.log(`\nmedians over ${runs} interleaved runs each (kind / local):`);
for (const key of ['wallS', 'provisionS', 'listP50Ms', 'listP99Ms', 'peakApiserverMiB'] as const) {
  const local = median(figures.local.map((f) => f[key]));
  const kind = median(figures.kind.map((f) => f[key]));
  console.log(`${key.padEnd(18)} local ${local.toFixed(1).padStart(8)}   kind ${kind.toFixed(1).padStart(8)}   ratio ${(kind / local).toFixed(2)}`);
}
console.log(`verdicts: local ${figures.local.map((f) => f.status).join(' ')}; kind ${figures.kind.map((f) => f.status).join(' ')}`);
