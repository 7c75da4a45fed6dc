import { formatQuantity } from '../model/markdown.js';
import type { ExperimentHistory, FigureHistory, FoundRegression, HistoryResult } from './history.js';

export function formatFigure(unit: FigureHistory['unit'], value: number | undefined): string {
  if (value === undefined) return '–';
  if (unit === 'verdict') return value ? 'deviated' : 'held';
  return formatQuantity(unit, value);
}

export const historyTitle = (h: Pick<ExperimentHistory, 'experiment' | 'variant'>) => `${h.experiment}${h.variant ? ` (${h.variant})` : ''}`;

function regressionLine(h: ExperimentHistory, r: FoundRegression): string {
  const at = (i: number) => `run ${i + 1} \`${h.entries[i]!.id}\``;
  const how =
    r.unit === 'verdict'
      ? 'deviated where it had held'
      : `${formatFigure(r.unit, r.value)} against a baseline mean of ${formatFigure(r.unit, r.baselineMean)}${
          r.baselineMean ? ` (${r.value > r.baselineMean ? '+' : ''}${(((r.value - r.baselineMean) / r.baselineMean) * 100).toFixed(0)} %)` : ''
        }`;
  const span = r.open ? `since ${at(r.began)}, still at the latest` : `${at(r.began)}${r.last > r.began ? ` to ${at(r.last)}` : ''}, recovered since`;
  const changed = r.changes.length ? `Changed there: ${r.changes.join('; ')}.` : 'Nothing recorded changed there (the cluster, the load or the machine did).';
  return `- **${r.open ? 'REGRESSION' : 'recovered'}** ${r.title}: ${how}, ${span}. ${changed}`;
}

const statusOf = (entry: ExperimentHistory['entries'][number]) =>
  entry.kind === 'capacity'
    ? `capacity search of ${entry.capacity!.vary}${entry.capacity!.inconclusive ? ' (inconclusive: the runner’s limit)' : ''}`
    : entry.status;

function runsTable(h: ExperimentHistory): string[] {
  const columns = h.figures.filter((f) => f.unit !== 'verdict');
  const verdicts = h.figures.filter((f) => f.unit === 'verdict');
  const valueOf = (f: FigureHistory, i: number) => {
    const judged = f.judged.find((j) => j.index === i);
    return judged ? `${formatFigure(f.unit, judged.value)}${judged.regressed ? ' ⚠' : ''}` : '–';
  };
  const verdictCell = (i: number) => {
    const deviated = verdicts.filter((f) => f.judged.find((j) => j.index === i)?.value === 1).map((f) => f.title.replace(/^verdict: /, ''));
    const judged = verdicts.filter((f) => f.judged.some((j) => j.index === i)).length;
    return judged ? (deviated.length ? `deviated: ${deviated.join(', ')}` : `${judged} held`) : '–';
  };
  const header = ['#', 'run', 'started (UTC)', 'status', 'Kubernetes', ...columns.map((f) => f.title), 'verdicts', 'what changed'];
  const rows = h.entries.map((e, i) => [
    String(i + 1),
    `\`${e.id}\``,
    e.startedAt.slice(0, 16).replace('T', ' '),
    statusOf(e),
    e.kubernetesVersion ?? '–',
    ...columns.map((f) => valueOf(f, i)),
    verdictCell(i),
    e.changes.join('; ') || '–',
  ]);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function historySection(h: ExperimentHistory, result: HistoryResult): string[] {
  const { window, minBaseline, falseAlarmRate } = result.detection;
  const from = h.entries[0]!.startedAt.slice(0, 10);
  const to = h.entries.at(-1)!.startedAt.slice(0, 10);
  return [
    `## ${historyTitle(h)}`,
    '',
    `${h.entries.length} runs and searches, ${from} to ${to}. From the ${minBaseline + 1}th on, each figure is judged against up to ${window} earlier runs that were not regressions themselves: worse than their mean by more than the prediction interval that an unchanged setup would pass once in ${Math.round(1 / falseAlarmRate)} runs, or than the figure's noise floor where the runs agree more closely, is a regression.`,
    '',
    '### Regressions',
    '',
    ...(h.regressions.length ? h.regressions.map((r) => regressionLine(h, r)) : ['None.']),
    '',
    '### Runs',
    '',
    ...runsTable(h),
    '',
  ];
}

/** history.md: per experiment and variant, the regressions (open ones first in the summary line) and every run's figures. */
export function historyMarkdown(result: HistoryResult): string {
  const open = result.open ? `**${result.open} open regression(s)**` : 'no open regression';
  const lines = [`# History of ${result.histories.map(historyTitle).join(', ')}`, '', `${open}.`, ''];
  for (const h of result.histories) lines.push(...historySection(h, result));
  return `${lines.join('\n')}\n`;
}
