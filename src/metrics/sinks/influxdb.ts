import { InfluxDB, type IPoint, type IPoolOptions } from 'influx';
import { messageOf } from '../../errors.js';
import type { PluginEvent, RunEvent, Sample, Sink } from '../../core/sample.js';
import type { SinkPlugin } from '../../core/plugin.js';
import type { InfluxSinkReport } from '../../report/summary.js';
import { InfluxdbSchema, influxSinkOptions, type InfluxdbConfig, type InfluxSinkOptions } from './influxdb-config.js';

/** The InfluxDB URL without user or password, for logs and reports. */
export function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** A client of the server and database the options name (the sink's, and `cpchaos history`'s). */
export function influxClient(options: Pick<InfluxSinkOptions, 'url' | 'database' | 'username' | 'password'>, pool?: IPoolOptions): InfluxDB {
  const url = new URL(options.url);
  return new InfluxDB({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 8086)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: options.database,
    username: options.username,
    password: options.password,
    ...(pool ? { pool } : {}),
  });
}

/** Where each run's summary and experiment are kept. */
export const runMeasurement = 'cpchaos_run';

/**
 * Samples and events to InfluxDB 1.x: one measurement per metric, labels and run
 * identity as tags, the value as the field `value`. Writes never block the run:
 * points go to a bounded buffer and a timer sends them in batches; while the server
 * is down or slow the buffer keeps the newest points and counts what it drops.
 */
export class InfluxSink implements Sink {
  readonly name = 'influxdb';
  private readonly client: InfluxDB;
  private buffer: IPoint[] = [];
  private readonly batchSize: number;
  private readonly maxBuffer: number;
  private readonly timer: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private written = 0;
  private dropped = 0;
  private failedWrites = 0;
  private lastError?: string;

  constructor(private readonly options: InfluxSinkOptions) {
    // Retries are ours (the buffer); the pool's own would hold a batch for a minute.
    this.client = influxClient(options, { maxRetries: 0, requestTimeout: options.requestTimeoutMs ?? 5000 });
    this.batchSize = options.batchSize ?? 5000;
    this.maxBuffer = options.maxBuffer ?? 200_000;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Creates the database if it is missing (idempotent in 1.x); a failure is only reported. */
  async prepare(): Promise<string | undefined> {
    try {
      await this.client.createDatabase(this.options.database);
      return undefined;
    } catch (error) {
      return messageOf(error);
    }
  }

  private tagsOf(labels: Record<string, string>): Record<string, string> {
    const tags: Record<string, string> = {};
    // Line protocol has no empty tag values.
    for (const [key, value] of Object.entries({ ...labels, ...this.options.tags })) if (value !== '') tags[key] = value;
    return tags;
  }

  private push(points: IPoint[]): void {
    this.buffer.push(...points);
    const excess = this.buffer.length - this.maxBuffer;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
  }

  writeSamples(samples: Sample[]): void {
    const points: IPoint[] = [];
    for (const s of samples) {
      if (!Number.isFinite(s.value)) continue;
      points.push({ measurement: s.metric, tags: this.tagsOf(s.labels), fields: { value: s.value }, timestamp: new Date(s.t) });
    }
    this.push(points);
  }

  writeEvent(event: RunEvent): void {
    const widened: PluginEvent = event;
    const { t, type, component, message, ...rest } = widened;
    const fields: Record<string, string | number | boolean> = { message };
    for (const [key, value] of Object.entries(rest)) {
      if (typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' || typeof value === 'boolean')
        fields[key] = value as string | number | boolean;
    }
    this.push([{ measurement: 'cpchaos_event', tags: this.tagsOf({ type, ...(component ? { component } : {}) }), fields, timestamp: new Date(t) }]);
  }

  /** Sends one batch, if none is on its way. */
  private flush(): Promise<void> {
    if (this.inFlight || this.buffer.length === 0) return this.inFlight ?? Promise.resolve();
    const batch = this.buffer.splice(0, this.batchSize);
    this.inFlight = this.client
      .writePoints(batch, { precision: 'ms' })
      .then(
        () => {
          this.written += batch.length;
        },
        (error: unknown) => {
          this.failedWrites++;
          this.lastError = messageOf(error);
          // Back to the front, in order; the bound applies again on the next push.
          this.buffer.unshift(...batch);
          const excess = this.buffer.length - this.maxBuffer;
          if (excess > 0) {
            this.buffer.splice(0, excess);
            this.dropped += excess;
          }
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + (this.options.closeTimeoutMs ?? 5000);
    await this.inFlight;
    while (this.buffer.length > 0 && Date.now() < deadline) {
      const failuresBefore = this.failedWrites;
      await this.flush();
      // A server that refuses now gets a moment before the next try, within the deadline.
      if (this.failedWrites > failuresBefore) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
    }
    this.dropped += this.buffer.length;
    this.buffer = [];
  }

  /**
   * One point of measurement `cpchaos_run` per run, tagged like the samples: its summary and
   * the experiment as it ran, as strings (neither holds a credential). `cpchaos history
   * --influxdb` reads them back with the run's samples. Written directly, after close: the
   * summary already counted the buffered points.
   */
  async recordRun(files: { summary: string; experiment: string }): Promise<void> {
    await this.client.writePoints(
      [
        {
          measurement: runMeasurement,
          tags: this.tagsOf({}),
          fields: { summary_json: files.summary, experiment_json: files.experiment },
          timestamp: new Date(),
        },
      ],
      { precision: 'ms' },
    );
  }

  summary(): { influxdb: InfluxSinkReport } {
    return { influxdb: this.report() };
  }

  report(): InfluxSinkReport {
    return {
      url: publicUrl(this.options.url),
      database: this.options.database,
      written: this.written,
      dropped: this.dropped,
      failedWrites: this.failedWrites,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}

/** Every sample and event also to InfluxDB 1.x, when the experiment or --influxdb names one. */
export const influxdbSink: SinkPlugin = {
  name: 'influxdb',
  schema: InfluxdbSchema,
  create: ({ runId, experiment, variant, config, log }) => {
    const options = influxSinkOptions(config as InfluxdbConfig | undefined, {
      run_id: runId,
      experiment: experiment.metadata.name,
      ...(variant ? { variant } : {}),
    });
    if (!options) return undefined;
    const sink = new InfluxSink(options);
    // Not awaited: a down or stopped server must not hold the run; writes are retried from the buffer.
    void sink.prepare().then((problem) => problem && log(`influxdb ${publicUrl(options.url)}: ${problem}; points are buffered and retried`));
    return sink;
  },
};
