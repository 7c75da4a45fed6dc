import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { formatBytes, formatDuration } from '../units.js';
import { metricsForCharts, runCharts } from './charts.js';
import type { ReportData, RunCharts } from './report-data.js';
import { loadRunData, type RunData } from './run-data.js';

const require = createRequire(import.meta.url);

/** The page's assets, inlined: a report opened from a mail or an archive has no network. */
async function assets(): Promise<{ uplotJs: string; uplotCss: string; pageJs: string }> {
  const [uplotJs, uplotCss, pageJs] = await Promise.all([
    fs.readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    fs.readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    fs.readFile(new URL('../../browser/browser/report.js', import.meta.url), 'utf8'),
  ]);
  return { uplotJs, uplotCss, pageJs };
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Inside a <script>, only "</script" (any case) can end it early; "<\/" means the same to JavaScript. */
const inlineScript = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1');

/** The charts of several runs merged by chart id, each series tagged with its run. */
export function mergeRuns(title: string, runs: RunCharts[]): ReportData {
  const charts = new Map<string, ReportData['charts'][number]>();
  runs.forEach((run, r) => {
    for (const chart of run.charts) {
      let merged = charts.get(chart.id);
      if (!merged) charts.set(chart.id, (merged = { ...chart, series: [], thresholds: [] }));
      for (const s of chart.series) merged.series.push({ ...s, run: r, label: runs.length > 1 ? `${run.label}: ${s.label}` : s.label });
      for (const t of chart.thresholds) if (!merged.thresholds.some((m) => m.value === t.value)) merged.thresholds.push(t);
    }
  });
  return { title, runs: runs.map(({ label, marks }) => ({ label, marks })), charts: [...charts.values()] };
}

const statusClass: Record<string, string> = {
  held: 'ok',
  passed: 'ok',
  deviated: 'bad',
  'not-steady': 'bad',
  error: 'bad',
  'no-data': 'warn',
  'not-checked': 'warn',
  interrupted: 'warn',
};
const badge = (status: string) => `<span class="badge ${statusClass[status] ?? ''}">${escapeHtml(status)}</span>`;

function runsTable(runs: RunData[], labels: string[]): string {
  const rows = runs.map((run, i) => {
    const s = run.summary;
    const limits = s.cluster
      ? Object.entries(s.cluster.memoryLimits)
          .map(([c, b]) => `${c} ${formatBytes(b)}`)
          .join(', ') || 'none'
      : '';
    return `<tr><td>${escapeHtml(labels[i]!)}</td><td>${badge(s.status)}</td><td>${escapeHtml(s.startedAt)}</td><td>${formatDuration(s.durationMs)}</td><td>${escapeHtml(s.cluster ? `${s.cluster.provider}, ${s.cluster.kubernetesVersion}` : '')}</td><td>${escapeHtml(limits)}</td><td>${s.events.oomKills}</td><td>${s.events.restarts}</td><td>${escapeHtml(s.message ?? '')}</td></tr>`;
  });
  return `<table><thead><tr><th>run</th><th>status</th><th>started</th><th>took</th><th>cluster</th><th>memory limits</th><th>OOM kills</th><th>restarts</th><th>note</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Hypotheses down, runs across: the verdict and what was observed. */
function verdictTable(runs: RunData[], labels: string[]): string {
  const names = [...new Set(runs.flatMap((r) => r.summary.verdicts.map((v) => v.name)))];
  const expected = (name: string) => runs.flatMap((r) => r.summary.verdicts).find((v) => v.name === name)?.expected ?? '';
  const rows = names.map((name) => {
    const cells = runs.map((run) => {
      const v = run.summary.verdicts.find((x) => x.name === name);
      const saturated = v?.runnerSaturated ? ` <span class="badge warn">runner saturated</span> ${escapeHtml(v.runnerSaturated)}` : '';
      return v ? `<td>${badge(v.status)} ${escapeHtml(v.observedText)}${saturated}</td>` : '<td>–</td>';
    });
    return `<tr><td>${escapeHtml(name)}</td><td><code>${escapeHtml(expected(name))}</code></td>${cells.join('')}</tr>`;
  });
  return `<table class="verdicts"><thead><tr><th>hypothesis</th><th>expected</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A page of charts: the header and sections given as HTML, then the charts drawn from `data`. */
export async function renderChartsPage(title: string, sectionsHtml: string, data: ReportData): Promise<string> {
  const { uplotJs, uplotCss, pageJs } = await assets();
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${uplotCss}
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: 600; font-size: 12px; background: #eee; }
.badge.ok { background: #d8f0d8; color: #185c18; } .badge.bad { background: #f8d0d0; color: #8a1010; } .badge.warn { background: #fbecc4; color: #6a4a00; }
.chart { margin: 1em 0 2em; }
.legend-note { color: #666; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${sectionsHtml}
<div id="charts"></div>
<script type="application/json" id="cpchaos-data">${json}</script>
<script>${inlineScript(uplotJs)}</script>
<script type="module">${inlineScript(pageJs)}</script>
</body>
</html>
`;
}

export function renderHtml(runs: RunData[], title: string): Promise<string> {
  const labels = runs.map((r) => r.summary.experiment.variant ?? r.summary.runId);
  const data = mergeRuns(
    title,
    runs.map((run, i) => runCharts(run, labels[i])),
  );
  const description = runs.length === 1 && runs[0]!.summary.experiment.description ? `<p>${escapeHtml(runs[0]!.summary.experiment.description)}</p>` : '';
  const sections = `${description}
<h2>Verdicts</h2>
${verdictTable(runs, labels)}
<h2>Runs</h2>
${runsTable(runs, labels)}
<h2>Over time</h2>
<p class="legend-note">Shaded: fault windows${runs.length > 1 ? ' (one shade per run)' : ''}. Red vertical lines: OOM kills; orange: restarts. Dashed red lines: hypothesis thresholds.${runs.length > 1 ? ' Runs are aligned on their first fault.' : ''}</p>`;
  return renderChartsPage(title, sections, data);
}

function loadForReport(dir: string): Promise<RunData> {
  return loadRunData(dir, metricsForCharts);
}

/** report.html of one run folder, from the files the run wrote. */
export async function writeRunReport(dir: string, out = path.join(dir, 'report.html')): Promise<string> {
  const run = await loadForReport(dir);
  const s = run.summary;
  const title = `${s.experiment.name}${s.experiment.variant ? ` (${s.experiment.variant})` : ''}: ${s.status}`;
  await fs.writeFile(out, await renderHtml([run], title));
  return out;
}

/** One page with several runs (variants, or runs given to compare) on the same axes. */
export async function writeOverlayReport(dirs: string[], out: string, title?: string): Promise<string> {
  const runs: RunData[] = [];
  for (const dir of dirs) runs.push(await loadForReport(dir));
  const names = [...new Set(runs.map((r) => r.summary.experiment.name))];
  await fs.writeFile(out, await renderHtml(runs, title ?? `${names.join(' vs ')}: ${runs.length} runs compared`));
  return out;
}
