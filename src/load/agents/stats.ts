import { quantile } from '../../metrics/client-stats.js';
import type { Sample } from '../../core/sample.js';
import type { SampleSource } from '../../core/scraper.js';
import type { DialOutcome } from './wire-http2.js';

interface TypeStats {
  agents: number;
  lists: number;
  relists: number;
  openWatches: number;
  watchEvents: number;
  breaks: Map<string, number>;
  /** The first answer's message for each reason a request failed with ("PUT leases -> 400"): what the apiserver said. */
  failureMessages: Map<string, string>;
  listBytes: number;
  /**
   * TLS connections the agents dialled to the apiserver, counted as they are dialled: an agent's first dial, and the spares
   * dialled while one was in flight. Whichever finishes its handshake first is kept and the others are closed, as Go's
   * transport does, so a spare may be the one kept; either way each is a handshake the apiserver completes.
   */
  connections: number;
  spareConnections: number;
  /** Spares not dialled because the runner's process was short of file descriptors (the request waited for the agent's dial). */
  withheldSpares: number;
  /** Spares that finished their handshake first and became their agent's connection. */
  keptSpares: number;
  /** Dials, first or spare, that never finished their TLS handshake: refused, reset, or past their timeout. */
  failedDials: number;
  recentRelistMs: number[];
  /** How many LIST requests asked for each resourceVersion ("" = quorum, "0" = cache). */
  resourceVersions: Map<string, number>;
  /** Requests by what the apiserver is asked: "LIST rv=0 limit=500", "WATCH rv=last-synced", "WATCHLIST rv=" ... */
  requests: Map<string, number>;
  relistTimes: number[];
}

/** What changed in a worker thread's stats since its last report: counters as increments, relists as new entries. Structured-cloneable. */
export type FleetStatsDelta = Record<
  string,
  Omit<TypeStats, 'breaks' | 'failureMessages' | 'resourceVersions' | 'requests'> & {
    breaks: [string, number][];
    failureMessages?: [string, string][];
    resourceVersions: [string, number][];
    requests: [string, number][];
  }
>;

const counters = [
  'agents',
  'lists',
  'relists',
  'openWatches',
  'watchEvents',
  'listBytes',
  'connections',
  'spareConnections',
  'withheldSpares',
  'keptSpares',
  'failedDials',
] as const;

type Counts = Record<(typeof counters)[number], number>;

function countsOf(s: Counts): Counts {
  return Object.fromEntries(counters.map((key) => [key, s[key]])) as Counts;
}

/** What changed in a count since `before` (a copy of it taken earlier), the unchanged left out. */
export function subtract(now: ReadonlyMap<string, number>, before: ReadonlyMap<string, number> | undefined): [string, number][] {
  return [...now].map(([key, value]) => [key, value - (before?.get(key) ?? 0)] as [string, number]).filter(([, change]) => change !== 0);
}

/** What a fleet of simulated agents did: lists, relists, watches, bytes; drained into cpchaos_fleet_* samples. */
export class FleetStats implements SampleSource {
  readonly byType = new Map<string, TypeStats>();
  /** The counters as last reported by `delta()`. */
  private reported = new Map<string, Counts & Pick<TypeStats, 'breaks' | 'failureMessages' | 'resourceVersions' | 'requests'>>();

  private of(type: string): TypeStats {
    let stats = this.byType.get(type);
    if (!stats) {
      stats = {
        agents: 0,
        lists: 0,
        relists: 0,
        openWatches: 0,
        watchEvents: 0,
        breaks: new Map(),
        failureMessages: new Map(),
        listBytes: 0,
        connections: 0,
        spareConnections: 0,
        withheldSpares: 0,
        keptSpares: 0,
        failedDials: 0,
        recentRelistMs: [],
        resourceVersions: new Map(),
        requests: new Map(),
        relistTimes: [],
      };
      this.byType.set(type, stats);
    }
    return stats;
  }

  agentStarted(type: string): void {
    this.of(type).agents++;
  }

  listRequested(type: string, resourceVersion: string): void {
    const stats = this.of(type);
    stats.resourceVersions.set(resourceVersion, (stats.resourceVersions.get(resourceVersion) ?? 0) + 1);
  }

  requested(type: string, what: string): void {
    const requests = this.of(type).requests;
    requests.set(what, (requests.get(what) ?? 0) + 1);
  }

  listDone(type: string, relist: boolean, ms: number, bytes: number): void {
    const stats = this.of(type);
    stats.lists++;
    stats.listBytes += bytes;
    if (relist) {
      stats.relists++;
      stats.recentRelistMs.push(ms);
      stats.relistTimes.push(Date.now());
    }
  }

  /** A TLS connection an agent dialled: a spare when another of its dials was in flight. */
  connectionDialled(type: string, spare: boolean): void {
    this.of(type)[spare ? 'spareConnections' : 'connections']++;
  }

  /** A spare the agent would have dialled, withheld for want of file descriptors. */
  spareWithheld(type: string): void {
    this.of(type).withheldSpares++;
  }

  /** How a dial ended: a spare kept as the agent's connection, or a dial that never finished its handshake. */
  dialEnded(type: string, outcome: DialOutcome, spare: boolean): void {
    if (outcome === 'failed') this.of(type).failedDials++;
    else if (outcome === 'kept' && spare) this.of(type).keptSpares++;
  }

  watchOpened(type: string): void {
    this.of(type).openWatches++;
  }

  watchClosed(type: string): void {
    this.of(type).openWatches--;
  }

  watchEvent(type: string): void {
    this.of(type).watchEvents++;
  }

  watchBroken(type: string, reason: string, message?: string): void {
    const { breaks, failureMessages } = this.of(type);
    breaks.set(reason, (breaks.get(reason) ?? 0) + 1);
    if (message !== undefined && !failureMessages.has(reason)) failureMessages.set(reason, message);
  }

  /** The changes since the last call, for a worker thread to post to the fleet that merges them (`add`). */
  delta(): FleetStatsDelta {
    const delta: FleetStatsDelta = {};
    for (const [type, s] of this.byType) {
      const before = this.reported.get(type);
      const change = Object.fromEntries(counters.map((key) => [key, s[key] - (before?.[key] ?? 0)])) as Counts;
      delta[type] = {
        ...change,
        breaks: subtract(s.breaks, before?.breaks),
        failureMessages: [...s.failureMessages].filter(([reason]) => !before?.failureMessages.has(reason)),
        resourceVersions: subtract(s.resourceVersions, before?.resourceVersions),
        requests: subtract(s.requests, before?.requests),
        recentRelistMs: s.recentRelistMs.splice(0),
        relistTimes: s.relistTimes.splice(0),
      };
      this.reported.set(type, {
        ...countsOf(s),
        breaks: new Map(s.breaks),
        failureMessages: new Map(s.failureMessages),
        resourceVersions: new Map(s.resourceVersions),
        requests: new Map(s.requests),
      });
    }
    return delta;
  }

  /** Every count so far, with the relist durations since the last call: what a shard publishes, the same if read twice. */
  totals(): FleetStatsDelta {
    const totals: FleetStatsDelta = {};
    for (const [type, s] of this.byType) {
      totals[type] = {
        ...countsOf(s),
        breaks: [...s.breaks],
        failureMessages: [...s.failureMessages],
        resourceVersions: [...s.resourceVersions],
        requests: [...s.requests],
        recentRelistMs: s.recentRelistMs.splice(0),
        relistTimes: [],
      };
    }
    return totals;
  }

  /** Makes these stats a shard's published `totals()` (relist durations appended), so that `delta()` then says what changed. */
  setTotals(totals: FleetStatsDelta): void {
    for (const [type, published] of Object.entries(totals)) {
      const s = this.of(type);
      for (const key of counters) s[key] = published[key] ?? 0;
      s.breaks = new Map(published.breaks);
      s.failureMessages = new Map(published.failureMessages ?? []);
      s.resourceVersions = new Map(published.resourceVersions);
      s.requests = new Map(published.requests ?? []);
      s.recentRelistMs.push(...published.recentRelistMs);
    }
  }

  /** Merges a worker's `delta()` into these stats. */
  add(delta: FleetStatsDelta): void {
    for (const [type, change] of Object.entries(delta)) {
      const s = this.of(type);
      for (const key of counters) s[key] += change[key];
      for (const [reason, count] of change.breaks) s.breaks.set(reason, (s.breaks.get(reason) ?? 0) + count);
      for (const [reason, message] of change.failureMessages ?? []) if (!s.failureMessages.has(reason)) s.failureMessages.set(reason, message);
      for (const [version, count] of change.resourceVersions) s.resourceVersions.set(version, (s.resourceVersions.get(version) ?? 0) + count);
      for (const [what, count] of change.requests ?? []) s.requests.set(what, (s.requests.get(what) ?? 0) + count);
      s.recentRelistMs.push(...change.recentRelistMs);
      s.relistTimes.push(...change.relistTimes);
    }
  }

  /** Where the agents run besides the main thread: set by the fleet once they all started. */
  private layout?: { workerThreads: number; shards: number };

  setLayout(workerThreads: number, shards: number): void {
    this.layout = { workerThreads, shards };
  }

  drain(t: number): Sample[] {
    const samples: Sample[] = [];
    if (this.layout) {
      // The runner's CPU is judged per thread: these say how many threads (and shards elsewhere) carried the agents.
      const labels = { component: 'runner' };
      samples.push(
        { t, metric: 'cpchaos_fleet_worker_threads', labels, value: this.layout.workerThreads },
        { t, metric: 'cpchaos_fleet_shards', labels, value: this.layout.shards },
      );
    }
    for (const [type, s] of this.byType) {
      const labels = { component: 'runner', agent: type };
      samples.push(
        { t, metric: 'cpchaos_fleet_agents', labels, value: s.agents },
        { t, metric: 'cpchaos_fleet_lists_total', labels, value: s.lists },
        { t, metric: 'cpchaos_fleet_relists_total', labels, value: s.relists },
        { t, metric: 'cpchaos_fleet_open_watches', labels, value: s.openWatches },
        { t, metric: 'cpchaos_fleet_watch_events_total', labels, value: s.watchEvents },
        { t, metric: 'cpchaos_fleet_list_bytes_total', labels, value: s.listBytes },
      );
      // Each is a TLS handshake the apiserver completes: in a storm, spares can outnumber the connections kept.
      if (s.connections || s.spareConnections)
        samples.push(
          { t, metric: 'cpchaos_fleet_connections_total', labels, value: s.connections },
          { t, metric: 'cpchaos_fleet_spare_connections_total', labels, value: s.spareConnections },
        );
      if (s.withheldSpares) samples.push({ t, metric: 'cpchaos_fleet_withheld_spares_total', labels, value: s.withheldSpares });
      if (s.keptSpares) samples.push({ t, metric: 'cpchaos_fleet_kept_spares_total', labels, value: s.keptSpares });
      if (s.failedDials) samples.push({ t, metric: 'cpchaos_fleet_failed_dials_total', labels, value: s.failedDials });
      for (const [reason, count] of s.breaks) samples.push({ t, metric: 'cpchaos_fleet_watch_breaks_total', labels: { ...labels, reason }, value: count });
      if (s.recentRelistMs.length) {
        const sorted = s.recentRelistMs.sort((a, b) => a - b);
        for (const q of [0.5, 0.99])
          samples.push({ t, metric: 'cpchaos_fleet_relist_duration_seconds', labels: { ...labels, quantile: String(q) }, value: quantile(sorted, q) / 1000 });
        s.recentRelistMs = [];
      }
    }
    return samples;
  }
}
