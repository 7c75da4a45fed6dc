import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { UsageError } from '../errors.js';
import type { Experiment } from '../experiment/schema.js';
import type { RunEvent, Sample } from '../core/sample.js';
import { SampleStore } from '../metrics/store.js';
import type { Summary } from './summary.js';

/** Everything a report needs from one run folder, read back from the files the run wrote. */
export interface RunData {
  dir: string;
  summary: Summary;
  /** The experiment as it ran (variant applied); absent in folders written before it was recorded. */
  experiment?: Experiment;
  events: RunEvent[];
  store: SampleStore;
}

export const experimentRecordFile = 'experiment.json';

async function readNdjson<T>(file: string, keep: (line: string) => boolean, onItem: (item: T) => void): Promise<void> {
  const input = createReadStream(file, 'utf8');
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      // A run killed mid-write leaves at most one torn last line.
      if (!line || !keep(line)) continue;
      try {
        onItem(JSON.parse(line) as T);
      } catch {
        /* torn line */
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Reads a run folder. `wantedMetrics` (given the recorded experiment, whose hypotheses
 * name metrics of their own) filters the metrics file before parsing: a long run
 * records hundreds of megabytes, and a report charts a few dozen series.
 */
export async function loadRunData(dir: string, wantedMetrics?: (experiment: Experiment | undefined) => (metric: string) => boolean): Promise<RunData> {
  let summary: Summary;
  try {
    summary = JSON.parse(await fs.readFile(path.join(dir, 'summary.json'), 'utf8')) as Summary;
  } catch {
    throw new UsageError(`${dir} is not a run folder (no readable summary.json)`);
  }
  const experimentText = await fs.readFile(path.join(dir, experimentRecordFile), 'utf8').catch(() => undefined);
  const experiment = experimentText ? (JSON.parse(experimentText) as Experiment) : undefined;
  const wanted = wantedMetrics?.(experiment);
  const events: RunEvent[] = [];
  await readNdjson<RunEvent>(
    path.join(dir, 'events.ndjson'),
    () => true,
    (e) => events.push(e),
  );
  const samples: Sample[] = [];
  const metricName = /"metric":"([^"]+)"/;
  await readNdjson<Sample>(
    path.join(dir, 'metrics.ndjson'),
    (line) => !wanted || wanted(metricName.exec(line)?.[1] ?? ''),
    (s) => samples.push(s),
  );
  return { dir, summary, experiment, events, store: SampleStore.fromSamples(samples) };
}
