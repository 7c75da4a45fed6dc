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
  /** After close and the summary: the run's result files (summary.json, experiment.json) as text, for a sink that keeps runs (`cpchaos history` reads them back). */
  recordRun?(files: { summary: string; experiment: string }): Promise<void>;
}

// A type, not an interface: every event then also fits PluginEvent's index signature.
type EventBase = {
  /** Milliseconds since the epoch. */
  t: number;
  message: string;
};

// Distributes over a union of types, so each type is its own member of the union below.
type Fields<T extends string, F = object> = T extends string ? EventBase & { type: T } & F : never;

/** What the core writes and reads: each type with its fields, so both ends are checked by the compiler. */
export type CoreEvent =
  | Fields<'phase', { phase: string }>
  | Fields<'fault-start', { fault: string; faultType: string }>
  | Fields<'fault-end' | 'fault-error', { fault: string }>
  | Fields<'hypothesis-deviated', { hypothesis: string }>
  | Fields<'ready', { readyAfterMs: number }>
  | Fields<'seed-done', { set: string; created: number; failed: number; durationMs: number }>
  | Fields<'seed-error', { set: string }>
  | Fields<'oom-kill', { component: string; at: string; count: number }>
  | Fields<'exited', { component: string; at: string; code: number | null; signal: string | null }>
  | Fields<'started', { component: string; at: string; pid: number }>
  | Fields<'restarting', { component: string; at: string; backoffMs: number }>
  | Fields<'lost', { component: string; at: string; reason: string }>
  | Fields<'agents-watching' | 'agents-not-watching', { waitedMs: number }>
  | Fields<'agents-synced', { workerThreads: number; handshakesInFlight: number }>
  | Fields<'agent-requests', { byType: Record<string, { rewatches: number; cachedLists: number; quorumLists: number }> }>
  | Fields<'not-steady' | 'not-ready' | 'interrupted' | 'error' | 'teardown-error' | 'scrape-failed' | 'scrape-recovered'>;

export type CoreEventType = CoreEvent['type'];
export type CoreEventOf<T extends CoreEventType> = Extract<CoreEvent, { type: T }>;
/** The fields an event of type T carries besides t, type and message. */
export type CoreEventFields<T extends CoreEventType> = Omit<CoreEventOf<T>, 't' | 'type' | 'message'>;

/** What a plugin reports of itself (process-killed, list-flood-done, ...): its own type and fields. */
export interface PluginEvent extends EventBase {
  type: string;
  component?: string;
  [key: string]: unknown;
}

/** Something that happened, as events.ndjson and every sink record it. */
export type RunEvent = CoreEvent | PluginEvent;

/** Narrows a recorded event to one core type (plugin events share the type field, so `===` alone cannot). */
export function isEvent<T extends CoreEventType>(event: RunEvent, type: T): event is CoreEventOf<T> {
  return event.type === type;
}

/** The events of one core type, typed. */
export function eventsOf<T extends CoreEventType>(events: readonly RunEvent[], type: T): CoreEventOf<T>[] {
  return events.filter((e): e is CoreEventOf<T> => isEvent(e, type));
}

/** Writes a core event, its fields checked against its type; `t` overrides when it happened (a kubelet reports late). */
export type EventFn = <T extends CoreEventType>(
  type: T,
  message: string,
  ...fields: keyof CoreEventFields<T> extends never ? [{ t?: number }?] : [CoreEventFields<T> & { t?: number }]
) => void;
/** What plugins report of themselves: their own types and fields. */
export type ReportFn = (type: string, message: string, extra?: Record<string, unknown>) => void;
