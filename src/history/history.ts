import { UsageError } from '../errors.js';
import { changesBetween } from './changes.js';
import { capacityFigure, findHistoryFolders, runEntry, searchEntry, type HistoryEntry } from './entries.js';
import { historyFigures, verdictFigure, type HistoryFigure } from './figures.js';
import { influxEntries } from './influx.js';
import { defaultDetection, judgeSeries, regressionsOf, type DetectionOptions, type Judged, type Regression } from './regressions.js';

export interface HistoryOptions {
  /** Also (or only) the runs an InfluxDB holds: those the sink recorded with their summary. */
  influxdb?: Parameters<typeof influxEntries>[0];
  experiment?: string;
  variant?: string;
  /** The baseline starts anew at this run (or search): a change accepted, e.g. an upgrade that costs memory on purpose. */
  since?: string;
  detection?: Partial<DetectionOptions>;
}

export interface FigureHistory {
  name: string;
  title: string;
  unit: HistoryFigure['unit'];
  worse: HistoryFigure['worse'];
  judged: Judged[];
}

export interface FoundRegression extends Regression {
  title: string;
  unit: HistoryFigure['unit'];
  /** The run (or search) where it began, and what changed there against the point before it. */
  beganAt: string;
  changes: string[];
}

/** One experiment (and variant) over time. */
export interface ExperimentHistory {
  experiment: string;
  variant?: string;
  entries: (Omit<HistoryEntry, 'ran'> & { changes: string[] })[];
  figures: FigureHistory[];
  regressions: FoundRegression[];
}

export interface HistoryResult {
  histories: ExperimentHistory[];
  detection: DetectionOptions;
  /** Regressions still there at the latest point of their history: the gate fails on these. */
  open: number;
}

const keyOf = (e: HistoryEntry) => `${e.experiment}\u0000${e.variant ?? ''}`;

function figuresOf(entries: HistoryEntry[]): HistoryFigure[] {
  const verdictNames = [
    ...new Set(
      entries.flatMap((e) =>
        Object.keys(e.values)
          .filter((k) => k.startsWith('verdict:'))
          .map((k) => k.slice(8)),
      ),
    ),
  ];
  return [...historyFigures, ...(entries.some((e) => e.kind === 'capacity') ? [capacityFigure] : []), ...verdictNames.map(verdictFigure)];
}

function historyOf(entries: HistoryEntry[], detection: DetectionOptions): ExperimentHistory {
  const changes = entries.map((e, i) =>
    changesBetween(
      entries.slice(0, i).findLast((b) => b.kind === e.kind),
      e,
    ),
  );
  const figures: FigureHistory[] = [];
  const regressions: FoundRegression[] = [];
  for (const figure of figuresOf(entries)) {
    const judged = judgeSeries(
      entries.map((e) => e.values[figure.name]),
      figure,
      detection,
    );
    if (!judged.length) continue;
    figures.push({ name: figure.name, title: figure.title, unit: figure.unit, worse: figure.worse, judged });
    for (const r of regressionsOf(figure.name, judged))
      regressions.push({ ...r, title: figure.title, unit: figure.unit, beganAt: entries[r.began]!.id, changes: changes[r.began]! });
  }
  const [first] = entries;
  return {
    experiment: first!.experiment,
    ...(first!.variant ? { variant: first!.variant } : {}),
    entries: entries.map(({ ran: _ran, ...entry }, i) => ({ ...entry, changes: changes[i]! })),
    figures,
    regressions: regressions.sort((a, b) => a.began - b.began),
  };
}

/** Reads run folders and capacity searches, groups them by experiment and variant, oldest first, and judges every figure over time. */
export async function buildHistory(paths: string[], options: HistoryOptions = {}): Promise<HistoryResult> {
  const detection = { ...defaultDetection, ...options.detection };
  const { runs, searches } = paths.length ? await findHistoryFolders(paths) : { runs: [], searches: [] };
  const fromInflux = options.influxdb ? await influxEntries(options.influxdb, options.experiment) : [];
  // A run both in a folder and in InfluxDB is one point: the folder's (it has the whole record).
  const inFolders = await Promise.all(runs.map(runEntry));
  const folderIds = new Set(inFolders.map((e) => e.id));
  let entries = [...inFolders, ...fromInflux.filter((e) => !folderIds.has(e.id)), ...(await Promise.all(searches.map(searchEntry)))]
    .filter(
      (e) => (options.experiment === undefined || e.experiment === options.experiment) && (options.variant === undefined || e.variant === options.variant),
    )
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  if (options.since !== undefined) {
    const start = entries.findIndex((e) => e.id === options.since);
    if (start < 0) throw new UsageError(`--since ${options.since}: no such run or search among ${entries.length} found`);
    entries = entries.slice(start);
  }
  const sources = [...paths, ...(options.influxdb ? [`${options.influxdb.url}/${options.influxdb.database}`] : [])];
  if (!entries.length)
    throw new UsageError(`no runs of ${options.experiment ?? 'any experiment'}${options.variant ? ` (${options.variant})` : ''} in ${sources.join(', ')}`);
  const groups = new Map<string, HistoryEntry[]>();
  for (const e of entries) groups.set(keyOf(e), [...(groups.get(keyOf(e)) ?? []), e]);
  const histories = [...groups.values()].map((group) => historyOf(group, detection));
  return { histories, detection, open: histories.reduce((n, h) => n + h.regressions.filter((r) => r.open).length, 0) };
}
