import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { defaultKubernetesVersion } from '../src/binaries/versions.js';
import { LocalProvider, type LocalCluster } from '../src/cluster/local.js';
import { statCpuSeconds } from '../src/util/proc-stat.js';

/** What every bench shares: its flags, a local control plane with the default settings, and CPU seconds from /proc. */
export function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

export function benchCluster(featureGates: Record<string, boolean> = {}, kubernetesVersion = defaultKubernetesVersion): Promise<LocalCluster> {
  return new LocalProvider().up({ kubernetesVersion, components: [], memoryLimits: {}, apiserverArgs: {}, featureGates });
}

/** User + system CPU seconds of a process, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number | 'self'): Promise<number> {
  return statCpuSeconds(await fs.readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** Resident memory (VmRSS) of a process now, in bytes. */
export function residentBytes(pid: number | 'self'): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

export interface ProcessSample {
  cpuSeconds: number;
  /** VmHWM: the most resident memory the process has had so far. */
  peakRssBytes: number;
}

/** CPU seconds and peak RSS of a running process from /proc, read synchronously so that it lands at the instant asked for; undefined once it has exited. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    // A process that has exited but is not yet reaped has no memory lines left: no sample.
    if (!hwm) return undefined;
    return { cpuSeconds: statCpuSeconds(stat), peakRssBytes: Number(hwm[1]) * 1024 };
  } catch {
    return undefined;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
