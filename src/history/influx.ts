import { escape, type InfluxDB } from 'influx';
import { UsageError, messageOf } from '../errors.js';
import type { Experiment } from '../experiment/schema.js';
import type { Sample } from '../core/sample.js';
import { influxClient, runMeasurement } from '../metrics/sinks/influxdb.js';
import type { InfluxSinkOptions } from '../metrics/sinks/influxdb-config.js';
import { SampleStore } from '../metrics/store.js';
import type { Summary } from '../report/summary.js';
import { entryOf, historyMetrics, type HistoryEntry } from './entries.js';

type Connection = Pick<InfluxSinkOptions, 'url' | 'database' | 'username' | 'password'>;

/** The tags the sink puts on every point: the run's identity, not a label of the series. */
const runTags = new Set(['run_id', 'experiment', 'variant']);

/** One run's samples of the metrics the figures read, as the run recorded them. */
async function samplesOf(client: InfluxDB, runId: string): Promise<SampleStore> {
  const samples: Sample[] = [];
  for (const metric of historyMetrics) {
    const rows = await client.query<Record<string, unknown> & { time: Date; value: number }>(
      `SELECT * FROM ${escape.measurement(metric)} WHERE "run_id" = ${escape.stringLit(runId)}`,
    );
    for (const row of rows) {
      const labels: Record<string, string> = {};
      for (const [key, value] of Object.entries(row)) if (typeof value === 'string' && !runTags.has(key)) labels[key] = value;
      samples.push({ t: row.time.getTime(), metric, labels, value: row.value });
    }
  }
  return SampleStore.fromSamples(samples);
}

/** The runs an InfluxDB holds (those whose sink wrote a `cpchaos_run` record), as points of their histories. */
export async function influxEntries(options: Connection, experiment?: string): Promise<HistoryEntry[]> {
  const client = influxClient(options);
  const where = experiment === undefined ? '' : ` WHERE "experiment" = ${escape.stringLit(experiment)}`;
  let records: { summary_json: string; experiment_json: string }[];
  try {
    records = await client.query(`SELECT "summary_json", "experiment_json" FROM ${escape.measurement(runMeasurement)}${where}`);
  } catch (error) {
    throw new UsageError(`--influxdb ${options.url}/${options.database}: ${messageOf(error)}`);
  }
  const entries: HistoryEntry[] = [];
  for (const record of records) {
    const summary = JSON.parse(record.summary_json) as Summary;
    const ran = JSON.parse(record.experiment_json) as Experiment;
    const store = await samplesOf(client, summary.runId);
    entries.push(entryOf({ dir: `${options.url}/${options.database}#${summary.runId}`, summary, experiment: ran, events: [], store }));
  }
  return entries;
}
