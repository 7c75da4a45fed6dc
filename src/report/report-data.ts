/**
 * The data a report page draws, shared by the renderer (Node) and the page's own
 * script (browser): types only, no imports, so both compilations can take it.
 */

export type ChartUnit = 'bytes' | 'seconds' | 'count' | 'per-second';

/** One line on a chart: [seconds from the first fault, value] points. */
export interface ChartSeries {
  label: string;
  points: [number, number][];
  dashed?: boolean;
  /** Dots without a line: measurements, where a line would suggest values between them. */
  pointsOnly?: boolean;
}

export interface ChartSpec {
  /** Same id across runs, so an overlay puts the same chart of each run on one set of axes. */
  id: string;
  title: string;
  unit: ChartUnit;
  series: ChartSeries[];
  /** Horizontal lines: hypothesis thresholds. */
  thresholds: { label: string; value: number }[];
}

/** Marks on the time axis, in seconds from the first fault. */
export interface RunMarks {
  faults: { name: string; from: number; to: number }[];
  oomKills: { component: string; at: number }[];
  restarts: { component: string; at: number }[];
  /** Labelled points of the x axis: in a history, the runs where the Kubernetes version or the setup changed. */
  notes?: { at: number; text: string }[];
}

export interface RunCharts {
  label: string;
  marks: RunMarks;
  charts: ChartSpec[];
}

/** What the page receives: the runs (one, or several overlaid) and their charts merged by id. */
export interface ReportData {
  title: string;
  /** The x axis's label when it is not time (a model's parameter). */
  xLabel?: string;
  runs: { label: string; marks: RunMarks }[];
  charts: (ChartSpec & { series: (ChartSeries & { run: number })[] })[];
}

/** What the page reports back once drawn: read by the browser test. */
export interface DrawnChart {
  id: string;
  title: string;
  series: number;
  points: number;
  drawn: boolean;
  /** Silences drawn as gaps in the lines. */
  gaps: number;
  /** The y axis's tick values as last drawn. */
  yTicks: number[];
}
