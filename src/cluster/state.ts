import fs from 'node:fs/promises';
import path from 'node:path';
import { clustersDir } from '../paths.js';
import type { ComponentName } from '../core/cluster.js';

export interface ProcessRecord {
  pid: number;
  binary: string;
  logFile: string;
  startedAt: string;
}

/**
 * Everything needed to tear a local cluster down from another process: written
 * before each resource is created, so a runner killed at any moment leaves
 * enough behind for `cpchaos down --all` to find and remove it.
 */
export interface ClusterState {
  name: string;
  provider: 'local';
  dir: string;
  createdAt: string;
  ownerPid: number;
  /** The owner's start time (/proc/<pid>/stat), so a recycled pid is not taken for it. */
  ownerStartTicks?: number;
  status: 'starting' | 'ready' | 'stopping' | 'stopped';
  kubernetesVersion: string;
  cgroupVersion?: 1 | 2;
  /** The cluster's own cgroup folder; one child per component. */
  cgroupRoot?: string;
  cgroups: Partial<Record<ComponentName, string>>;
  processes: Partial<Record<ComponentName, ProcessRecord>>;
  ports: Record<string, number>;
  kubeconfig?: string;
  server?: string;
}

export function clusterDir(name: string): string {
  return path.join(clustersDir(), name);
}

export function stateFile(dir: string): string {
  return path.join(dir, 'state.json');
}

export async function saveState(state: ClusterState): Promise<void> {
  const file = stateFile(state.dir);
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await fs.rename(`${file}.tmp`, file);
}

export async function loadState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await fs.readFile(stateFile(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Every cluster folder, including ones whose state file was never completed. */
export async function listClusterDirs(): Promise<string[]> {
  try {
    const entries = await fs.readdir(clustersDir(), { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(clustersDir(), entry.name));
  } catch {
    return [];
  }
}
