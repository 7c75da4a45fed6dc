/** One point of one series. Prometheus names where the series comes from /metrics; `cpchaos_*` for the runner's own. */
export interface Sample {
  /** Milliseconds since the epoch. */
  t: number;
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** Where samples and events go: files, InfluxDB. One file per sink. */
export interface Sink {
  readonly name: string;
  writeSamples(samples: Sample[]): void;
  writeEvent(event: RunEvent): void;
  /** What the run's summary says of this sink (samples recorded, points written, ...). */
  summary?(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Something that happened: phase changes, faults, OOM kills, restarts, errors. */
export interface RunEvent {
  t: number;
  type: string;
  component?: string;
  message: string;
  [key: string]: unknown;
}
