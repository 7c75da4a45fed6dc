// The report page's own script: draws the charts with uPlot (inlined before it as a
// global) from the JSON embedded in the page. Compiled by tsconfig.browser.json with
// the DOM library; the renderer inlines the output, so the page needs no network.
import type { ChartSeries, ChartUnit, DrawnChart, ReportData } from '../report/report-data.js';

declare global {
  interface Window {
    /** Filled in as charts draw; the browser test reads it. */
    cpchaosReport: { charts: DrawnChart[]; ready: boolean };
  }
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const runShades = ['rgba(255,165,0,0.13)', 'rgba(100,149,237,0.13)', 'rgba(60,179,113,0.13)', 'rgba(186,85,211,0.13)'];

// The page is one inlined script with no module loader, so src/units.ts cannot be imported here.
function formatValue(unit: ReportData['charts'][number]['unit'], value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (unit === 'bytes') {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = value;
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    // 1.25 GiB stays 1.25 (a tick at 5 × 256 MiB), 953.674 MiB reads 953.67.
    return `${i === 0 ? Math.round(v) : Number(v.toFixed(2))} ${units[i]}`;
  }
  if (unit === 'seconds') return Math.abs(value) < 1 ? `${(value * 1000).toFixed(0)} ms` : `${value.toFixed(2)} s`;
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  return unit === 'per-second' ? `${text}/s` : text;
}

const binaryIncrements = Array.from({ length: 50 }, (_, k) => 2 ** k);

/**
 * A series with a null point in every silence: an interval more than three times its
 * usual one (the median) and over 3 s. Samples come every second or so; a component
 * that was down sends none.
 */
function withGaps(points: [number, number][]): [number, number | null][] {
  if (points.length < 3) return points;
  const steps = points
    .slice(1)
    .map(([x], i) => x - points[i]![0])
    .sort((a, b) => a - b);
  const usual = steps[Math.floor(steps.length / 2)]!;
  const result: [number, number | null][] = [points[0]!];
  for (let i = 1; i < points.length; i++) {
    const gap = points[i]![0] - points[i - 1]![0];
    if (gap > 3 * usual && gap > 3) result.push([(points[i - 1]![0] + points[i]![0]) / 2, null]);
    result.push(points[i]!);
  }
  return result;
}

/** Fault windows behind the lines, one shade per run. */
function drawFaultWindows(u: uPlot, data: ReportData): void {
  const { ctx } = u;
  const { top, height } = u.bbox;
  data.runs.forEach((run, r) => {
    ctx.fillStyle = runShades[r % runShades.length]!;
    for (const f of run.marks.faults) {
      const left = u.valToPos(f.from, 'x', true);
      const right = u.valToPos(f.to, 'x', true);
      ctx.fillRect(left, top, Math.max(1, right - left), height);
    }
  });
}

/** Threshold lines, then OOM-kill and restart marks, over the lines. */
function drawThresholdsAndMarks(u: uPlot, chart: ReportData['charts'][number], data: ReportData): void {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  // uPlot leaves the alignment of its last axis label behind.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  for (const t of chart.thresholds) {
    const y = u.valToPos(t.value, 'y', true);
    ctx.strokeStyle = '#b00020';
    ctx.setLineDash([8, 4]);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.fillStyle = '#b00020';
    ctx.fillText(`threshold: ${t.label}`, left + 6, y - 4);
  }
  ctx.setLineDash([]);
  data.runs.forEach((run, r) => {
    const suffix = data.runs.length > 1 ? ` (${run.label})` : '';
    const marks = [
      ...run.marks.oomKills.map((m) => ({ ...m, text: `OOM kill ${m.component}`, color: '#d00000' })),
      ...run.marks.restarts.map((m) => ({ ...m, text: `restart ${m.component}`, color: '#e08000' })),
      ...(run.marks.notes ?? []).map((m) => ({ ...m, color: '#1f5fbf' })),
    ];
    marks.forEach((m, i) => {
      const x = u.valToPos(m.at, 'x', true);
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillStyle = m.color;
      ctx.fillText(`${m.text}${suffix}`, x + 4, top + 14 * devicePixelRatio * (1 + ((i + r) % 3)));
    });
  });
  ctx.restore();
}

/** One line's look: its colour, dashes, and dots only where the points are measurements. */
function seriesOptions(chart: { unit: ChartUnit }, s: ChartSeries, i: number, data: ReportData): uPlot.Series {
  const colour = palette[i % palette.length];
  return {
    label: s.label,
    stroke: colour,
    width: 1.5,
    spanGaps: false,
    ...(s.dashed ? { dash: [6, 4] } : {}),
    // A model's lines are computed, not measured: no dots on them, only on the measurements.
    ...(s.pointsOnly ? { paths: () => null, points: { show: true, size: 8, fill: colour } } : data.xLabel ? { points: { show: false } } : {}),
    value: (_u: uPlot, v: number | null) => formatValue(chart.unit, v),
  };
}

function draw(data: ReportData): void {
  const status: DrawnChart[] = [];
  window.cpchaosReport = { charts: status, ready: false };
  const container = document.getElementById('charts')!;
  for (const chart of data.charts) {
    // uPlot wants one x array shared by every series: the union of their times. Where a
    // series has no sample at another's time the cell is undefined, which uPlot spans; where
    // a series went silent (an OOM-killed apiserver answers no scrape) it is null: a gap.
    const series = chart.series.map((s) => (s.pointsOnly ? s.points : withGaps(s.points)));
    const xs = [...new Set(series.flatMap((points) => points.map(([x]) => x)))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const ys = series.map((points) => {
      const column: (number | null | undefined)[] = new Array<number | null | undefined>(xs.length).fill(undefined);
      for (const [x, y] of points) column[index.get(x)!] = y;
      return column;
    });
    const section = document.createElement('section');
    section.className = 'chart';
    section.id = `chart-${chart.id}`;
    container.appendChild(section);

    const gaps = series.reduce((n, points) => n + points.filter(([, y]) => y === null).length, 0);
    const entry: DrawnChart = {
      id: chart.id,
      title: chart.title,
      series: chart.series.length,
      points: chart.series.reduce((n, s) => n + s.points.length, 0),
      drawn: false,
      gaps,
      yTicks: [],
    };
    status.push(entry);
    const thresholds = chart.thresholds.map((t) => t.value);
    const opts: uPlot.Options = {
      title: chart.title,
      width: Math.max(400, section.clientWidth || 900),
      height: 260,
      scales: {
        x: { time: false },
        y: {
          range: (_u, min, max) => {
            const low = Math.min(0, min ?? 0, ...thresholds);
            const high = Math.max(max ?? 1, ...thresholds);
            return [low, high > low ? high * 1.08 : low + 1];
          },
        },
      },
      axes: [
        { label: data.xLabel ?? (data.runs.some((r) => r.marks.faults.length) ? 'seconds from the first fault' : 'seconds from the start') },
        // Bytes tick at powers of two (256 MiB, 512 MiB, 1 GiB), not at decimal fractions of them.
        {
          size: 80,
          values: (_u, splits) => {
            entry.yTicks = [...splits];
            return splits.map((v) => formatValue(chart.unit, v));
          },
          ...(chart.unit === 'bytes' ? { incrs: binaryIncrements } : {}),
        },
      ],
      series: [{ label: data.xLabel ?? 's' }, ...chart.series.map((s, i) => seriesOptions(chart, s, i, data))],
      hooks: {
        drawClear: [(u) => drawFaultWindows(u, data)],
        draw: [
          (u) => {
            drawThresholdsAndMarks(u, chart, data);
            entry.drawn = true;
          },
        ],
      },
    };
    new uPlot(opts, [xs, ...ys], section);
  }
  window.cpchaosReport.ready = true;
}

draw(JSON.parse(document.getElementById('cpchaos-data')!.textContent!) as ReportData);
