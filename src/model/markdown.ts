import { formatBytes } from '../units.js';
import type { ModelResult, Point, QuantityModel } from './model.js';

export function formatQuantity(unit: QuantityModel['unit'], value: number): string {
  if (unit === 'bytes') return formatBytes(value, 3);
  if (unit === 'seconds') return Math.abs(value) < 1 ? `${Number((value * 1000).toPrecision(3))} ms` : `${value.toFixed(2)} s`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const signed = (unit: QuantityModel['unit'], value: number) => `${value < 0 ? '−' : '+'}${formatQuantity(unit, Math.abs(value))}`;
const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString());

function limitCell(q: QuantityModel): [string, string] {
  if (!q.limit) return ['–', '–'];
  const source = q.limit.from === 'runs' ? ' (the runs’ limit)' : '';
  const { central, conservative } = q.limit;
  if (central === undefined) return [`${formatQuantity(q.unit, q.limit.value)}${source}`, 'never: no measurable growth'];
  const plan =
    conservative !== undefined
      ? `; plan for ${round(conservative)}`
      : q.line.n < 3
        ? '; two points give no interval'
        : '; the interval is too wide to plan with';
  return [`${formatQuantity(q.unit, q.limit.value)}${source}`, `${round(central)}${plan}`];
}

function heldOutTable(result: ModelResult): string[] {
  const rows = result.quantities.flatMap((q) =>
    q.heldOut.map((h) => {
      const error = ((h.predicted - h.y) / h.y) * 100;
      const inside = h.interval ? (h.y >= h.interval[0] && h.y <= h.interval[1] ? 'yes' : '**no**') : '–';
      const interval = h.interval ? `${formatQuantity(q.unit, h.interval[0])} – ${formatQuantity(q.unit, h.interval[1])}` : '–';
      const scale = result.scale ? ` ${h.s} |` : '';
      return `| ${q.title} | ${h.x} |${scale} ${formatQuantity(q.unit, h.y)} | ${formatQuantity(q.unit, h.predicted)} (${error >= 0 ? '+' : ''}${error.toFixed(0)} %) | ${interval} | ${inside} |`;
    }),
  );
  if (!rows.length) return [];
  const points = result.quantities.flatMap((q) => q.points);
  const upTo = (get: (p: Point) => number | undefined, name: string) => `${name}=${Math.max(...points.map((p) => get(p) ?? 0))}`;
  const fitted = [upTo((p) => p.x, result.parameter), ...(result.scale ? [upTo((p) => p.s, result.scale.parameter)] : [])].join(' and ');
  return [
    '',
    `Fitted on the runs up to ${fitted}; predicted against the others measured:`,
    '',
    `| quantity | ${result.parameter} |${result.scale ? ` ${result.scale.parameter} |` : ''} measured | predicted | ${Math.round(result.confidence * 100)} % interval | inside |`,
    `|---|---|${result.scale ? '---|' : ''}---|---|---|---|`,
    ...rows,
  ];
}

function fitSentence(result: ModelResult): string[] {
  const plan = `"Plan for" is where the upper edge of the ${Math.round(result.confidence * 100)} % prediction interval (where a new run would land) reaches the limit.`;
  if (!result.scale) return [`Affine least-squares fits over ${result.runs} runs. ${plan}`];
  const [x, s] = [result.parameter, result.scale.parameter];
  const terms = result.quantities
    .filter((q) => q.scaled)
    .map((q) => {
      const c = q.scaled!.coefficients;
      const f = (v: number) => formatQuantity(q.unit, v);
      return `- ${q.title} = ${f(c.base)} ${signed(q.unit, c.perScale)} per ${s} ${signed(q.unit, c.perBoth)} per ${x} × ${s}`;
    });
  return [
    `Least-squares fits of y = a + b·s + c·x·s over ${result.runs} runs (x: ${x}, s: ${s}; each more x costs in proportion to s), read at ${s}=${result.scale.at}. ${plan}`,
    '',
    ...terms,
  ];
}

/** The model as a section of capacity.md (or model.md): marginal costs, fits, limits, warnings. */
export function modelMarkdown(result: ModelResult): string {
  const percent = Math.round(result.confidence * 100);
  const at = result.scale ? ` at ${result.scale.parameter}=${result.scale.at}` : '';
  const lines = [
    `## Model: how each quantity grows with ${result.describes}${result.scale ? ` and ${result.scale.describes}` : ''}`,
    '',
    ...fitSentence(result),
    '',
    `| quantity${at} | per one more ${result.parameter} | at 0 | R² | residual s.e. | points | limit | reached at ${result.parameter} |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const q of result.quantities) {
    const [limit, reached] = limitCell(q);
    const left = q.excluded.length ? ` (${q.excluded.length} left out)` : '';
    const se = Number.isNaN(q.line.residualStdError) ? '–' : formatQuantity(q.unit, q.line.residualStdError);
    lines.push(
      `| ${q.title} | ${signed(q.unit, q.line.slope)} | ${formatQuantity(q.unit, q.line.intercept)} | ${q.line.r2.toFixed(3)} | ${se} | ${q.points.length}${left} | ${limit} | ${reached} |`,
    );
  }
  for (const q of result.quantities.filter((q) => q.at)) {
    const { x, value, interval } = q.at!;
    const range = interval ? ` (${percent} %: ${formatQuantity(q.unit, interval[0])} – ${formatQuantity(q.unit, interval[1])})` : '';
    lines.push(
      '',
      `At ${result.parameter}=${x}${result.scale ? ` and ${result.scale.parameter}=${result.scale.at}` : ''}: ${q.title} ${formatQuantity(q.unit, value)}${range}.`,
    );
  }
  const warnings = result.quantities.flatMap((q) => q.warnings.map((w) => `- ${q.title}: ${w}`));
  const excluded = result.quantities.flatMap((q) => q.excluded.map((e) => `- ${q.title}: ${result.parameter}=${e.x} (\`${e.runId}\`) left out: ${e.reason}`));
  const notFitted = result.notFitted.map((n) => `- ${n.name}: ${n.reason}`);
  if (warnings.length) lines.push('', '**Warnings**', '', ...warnings);
  if (excluded.length) lines.push('', 'Left out of the fits:', '', ...excluded);
  lines.push(...heldOutTable(result));
  if (notFitted.length) lines.push('', 'Not fitted:', '', ...notFitted);
  return `${lines.join('\n')}\n`;
}
