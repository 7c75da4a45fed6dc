import type { RunnerSaturation } from '../run/saturation.js';
import type { ClusterBinary, NodeImage } from '../core/cluster.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Verdict } from '../core/hypothesis.js';

/** What the InfluxDB sink says of itself in summary.json. */
export interface InfluxSinkReport {
  url: string;
  database: string;
  written: number;
  dropped: number;
  failedWrites: number;
  lastError?: string;
}

export type RunStatus = 'passed' | 'deviated' | 'not-steady' | 'interrupted' | 'error';

export interface PhaseTiming {
  phase: string;
  start: string;
  end?: string;
  durationMs?: number;
}

/** summary.json: everything a scheduler, a CI gate or a later `cpchaos compare` needs about one run. */
export interface Summary {
  runId: string;
  /** The cpchaos that ran it (absent in folders written before it was recorded). */
  cpchaosVersion?: string;
  experiment: { name: string; description?: string; file: string; variant?: string };
  status: RunStatus;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  message?: string;
  cluster?: { provider: string; name: string; kubernetesVersion: string; memoryLimits: Record<string, number>; nodeImage?: NodeImage };
  binaries: ClusterBinary[];
  phases: PhaseTiming[];
  verdicts: Verdict[];
  seeded: { set: string; kind: string; requested: number; created: number; failed: number; durationMs: number; objectsPerSecond: number }[];
  client: { verb: string; resource: string; requests: number; codes: Record<string, number>; bytes: number; p50Ms: number; p99Ms: number; maxMs: number }[];
  fleet: {
    agent: string;
    agents: number;
    lists: number;
    relists: number;
    listBytes: number;
    watchEvents: number;
    resourceVersions: Record<string, number>;
    /** Requests by what they asked: "LIST rv=0 limit=500", "WATCH rv=last-synced", "WATCHLIST rv=" ... */
    requests?: Record<string, number>;
  }[];
  recovery?: { readyAfterMs?: number };
  events: { oomKills: number; restarts: number };
  samplesRecorded: number;
  /** Whether cpchaos itself ran out of CPU, event-loop time or files while the faults ran. */
  runner?: RunnerSaturation;
  /** Points sent to InfluxDB, when a run names one; `dropped` is what a down or slow server cost. */
  influxdb?: InfluxSinkReport;
}

export async function writeSummary(dir: string, summary: Summary): Promise<void> {
  await fs.writeFile(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}
