import type { ModelResult, QuantityModel } from './model.js';

/** Three significant digits: a prediction interval of 1.43–1.47 GiB must not read 1.4–1.5. */
function bytes3(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : Number(v.toPrecision(3))} ${units[i]}`;
}

export function formatQuantity(unit: QuantityModel['unit'], value: number): string {
  if (unit === 'bytes') return bytes3(value);
  if (unit === 'seconds') return Math.abs(value) < 1 ? `${(value * 1000).toFixed(0)} ms` : `${value.toFixed(2)} s`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const signed = (unit: QuantityModel['unit'], value: number) => `${value < 0 ? '−' : '+'}${formatQuantity(unit, Math.abs(value))}`;
const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString());

function limitCell(q: QuantityModel): [string, string] {
  if (!q.limit) return ['–', '–'];
  const source = q.limit.from === 'runs' ? ' (the runs’ limit)' : '';
  const { central, conservative } = q.limit;
  if (central === undefined) return [`${formatQuantity(q.unit, q.limit.value)}${source}`, 'never: no measurable growth'];
  const plan = conservative === undefined ? '; the interval is too wide to plan with' : `; plan for ${round(conservative)}`;
  return [`${formatQuantity(q.unit, q.limit.value)}${source}`, `${round(central)}${plan}`];
}

function heldOutTable(result: ModelResult): string[] {
  const rows = result.quantities.flatMap((q) =>
    q.heldOut.map((h) => {
      const error = ((h.predicted - h.measured) / h.measured) * 100;
      const inside = h.interval ? (h.measured >= h.interval[0] && h.measured <= h.interval[1] ? 'yes' : '**no**') : '–';
      const interval = h.interval ? `${formatQuantity(q.unit, h.interval[0])} – ${formatQuantity(q.unit, h.interval[1])}` : '–';
      return `| ${q.title} | ${h.x} | ${formatQuantity(q.unit, h.measured)} | ${formatQuantity(q.unit, h.predicted)} (${error >= 0 ? '+' : ''}${error.toFixed(0)} %) | ${interval} | ${inside} |`;
    }),
  );
  if (!rows.length) return [];
  const fitted = Math.max(...result.quantities.flatMap((q) => q.points.map((p) => p.x)));
  return [
    '',
    `Fitted on the runs up to ${result.parameter}=${fitted}; predicted against the larger values measured:`,
    '',
    `| quantity | ${result.parameter} | measured | predicted | ${Math.round(result.confidence * 100)} % interval | inside |`,
    '|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** The model as a section of capacity.md (or model.md): marginal costs, fits, limits, warnings. */
export function modelMarkdown(result: ModelResult): string {
  const percent = Math.round(result.confidence * 100);
  const lines = [
    `## Model: how each quantity grows with ${result.describes}`,
    '',
    `Affine least-squares fits over ${result.runs} runs. "Plan for" is where the upper edge of the ${percent} % prediction interval (where a new run would land) reaches the limit.`,
    '',
    `| quantity | per one more ${result.parameter} | at 0 | R² | residual s.e. | points | limit | reached at ${result.parameter} |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const q of result.quantities) {
    const [limit, reached] = limitCell(q);
    const left = q.excluded.length ? ` (${q.excluded.length} left out)` : '';
    const se = Number.isNaN(q.fit.residualStdError) ? '–' : formatQuantity(q.unit, q.fit.residualStdError);
    lines.push(
      `| ${q.title} | ${signed(q.unit, q.fit.slope)} | ${formatQuantity(q.unit, q.fit.intercept)} | ${q.fit.r2.toFixed(3)} | ${se} | ${q.points.length}${left} | ${limit} | ${reached} |`,
    );
  }
  for (const q of result.quantities.filter((q) => q.at)) {
    const { x, value, interval } = q.at!;
    const range = interval ? ` (${percent} %: ${formatQuantity(q.unit, interval[0])} – ${formatQuantity(q.unit, interval[1])})` : '';
    lines.push('', `At ${result.parameter}=${x}: ${q.title} ${formatQuantity(q.unit, value)}${range}.`);
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
