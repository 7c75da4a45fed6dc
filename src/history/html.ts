import { escapeHtml, renderChartsPage } from '../report/html.js';
import type { ChartSpec, ReportData } from '../report/report-data.js';
import type { ExperimentHistory, FigureHistory, HistoryResult } from './history.js';
import { historyTitle } from './markdown.js';

/** One trend chart: the figure run by run, its baseline's median and the regressed runs apart. */
function figureChart(h: ExperimentHistory, f: FigureHistory, run: number): ReportData['charts'][number] {
  const x = (index: number) => index + 1;
  const series: ChartSpec['series'] = [
    { label: f.title, points: f.judged.map((j) => [x(j.index), j.value]) },
    { label: 'baseline mean', points: f.judged.filter((j) => j.baseline).map((j) => [x(j.index), j.baseline!.mean]), dashed: true },
  ];
  const regressed = f.judged.filter((j) => j.regressed);
  if (regressed.length) series.push({ label: 'regressed', points: regressed.map((j) => [x(j.index), j.value]), pointsOnly: true });
  return {
    id: `history-${historyTitle(h)}-${f.name}`,
    title: `${historyTitle(h)}: ${f.title}`,
    unit: f.unit === 'verdict' ? 'count' : f.unit,
    series: series.map((s) => ({ ...s, run })),
    thresholds: [],
  };
}

/** The page's data: per history, a chart per measured figure (verdicts are in the table), with its changes marked on the run axis. */
export function historyReportData(result: HistoryResult, title: string): ReportData {
  return {
    title,
    xLabel: 'run (oldest first; marks: what changed at that run)',
    runs: result.histories.map((h) => ({
      label: historyTitle(h),
      marks: {
        faults: [],
        oomKills: [],
        restarts: [],
        notes: h.entries.flatMap((e, i) => {
          const text = i === 0 ? (e.kubernetesVersion ? `Kubernetes ${e.kubernetesVersion}` : '') : e.changes.join('; ');
          return text ? [{ at: i + 1, text }] : [];
        }),
      },
    })),
    charts: result.histories.flatMap((h, run) => h.figures.filter((f) => f.unit !== 'verdict').map((f) => figureChart(h, f, run))),
  };
}

/** history.html: the markdown's tables above the trend charts. */
export async function historyHtml(result: HistoryResult, markdown: string, title: string): Promise<string> {
  const sections = `<pre style="white-space: pre-wrap">${escapeHtml(markdown)}</pre>`;
  return renderChartsPage(title, sections, historyReportData(result, title));
}
