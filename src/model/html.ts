import fs from 'node:fs/promises';
import { escapeHtml, renderChartsPage } from '../report/html.js';
import type { ChartSpec, ReportData } from '../report/report-data.js';
import { predict } from './fit.js';
import type { ModelResult, QuantityModel } from './model.js';
import { formatQuantity } from './markdown.js';

/** The x values a fit's lines are drawn over: from 0 to past the furthest point or prediction. */
function lineXs(q: QuantityModel): number[] {
  const far = Math.max(q.line.maxX, ...q.heldOut.map((h) => h.x), q.at?.x ?? 0, q.limit?.central ?? 0);
  const end = Math.min(far * 1.1, q.line.maxX * 20);
  return Array.from({ length: 41 }, (_, i) => (end * i) / 40);
}

function quantityChart(q: QuantityModel, confidence: number, scale?: number): ChartSpec {
  const xs = lineXs(q);
  const interval = xs.map((x) => [x, q.line.interval(x, confidence)] as const).filter(([, i]) => i !== undefined);
  const percent = Math.round(confidence * 100);
  const series: ChartSpec['series'] = [
    // With a scale, only the points measured at the scale the line is read at lie on it.
    { label: 'measured (fitted)', points: q.points.filter((p) => p.s === undefined || p.s === scale).map((p) => [p.x, p.y]), pointsOnly: true },
    { label: 'fit', points: xs.map((x) => [x, predict(q.line, x)]) },
  ];
  if (interval.length) {
    series.push({ label: `${percent} % prediction, upper`, points: interval.map(([x, i]) => [x, i![1]]), dashed: true });
    series.push({ label: `${percent} % prediction, lower`, points: interval.map(([x, i]) => [x, i![0]]), dashed: true });
  }
  const heldOut = q.heldOut.filter((h) => h.s === undefined || h.s === scale);
  if (heldOut.length) series.push({ label: 'measured (held out)', points: heldOut.map((h) => [h.x, h.y]), pointsOnly: true });
  const excluded = q.excluded.filter((e) => e.s === undefined || e.s === scale);
  if (excluded.length) series.push({ label: 'left out (censored)', points: excluded.map((e) => [e.x, e.y]), pointsOnly: true });
  return {
    id: `model-${q.name}`,
    title: `${q.title}: ${formatQuantity(q.unit, q.line.slope)} per step, R² ${q.line.r2.toFixed(3)}`,
    unit: q.unit,
    series,
    thresholds: q.limit ? [{ label: `limit ${formatQuantity(q.unit, q.limit.value)}`, value: q.limit.value }] : [],
  };
}

export function modelReportData(result: ModelResult, title: string): ReportData {
  return {
    title,
    xLabel: result.scale ? `${result.parameter} at ${result.scale.parameter}=${result.scale.at}` : result.parameter,
    runs: [{ label: 'model', marks: { faults: [], oomKills: [], restarts: [] } }],
    charts: result.quantities.map((q) => {
      const chart = quantityChart(q, result.confidence, result.scale?.at);
      return { ...chart, series: chart.series.map((s) => ({ ...s, run: 0 })) };
    }),
  };
}

/** An HTML page of the model: one chart per quantity (points, fit, interval, limit) under the markdown's table. */
export async function writeModelHtml(result: ModelResult, markdown: string, out: string, title: string): Promise<void> {
  const sections = `<pre style="white-space: pre-wrap">${escapeHtml(markdown)}</pre>`;
  await fs.writeFile(out, await renderChartsPage(title, sections, modelReportData(result, title)));
}
