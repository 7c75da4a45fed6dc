import fs from 'node:fs/promises';
import { defaultKubernetesVersion } from '../src/binaries/versions.js';
import { LocalProvider, type LocalCluster } from '../src/cluster/local.js';

/** What every bench shares: its flags, a local control plane with the default settings, and CPU seconds from /proc. */
export function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

export function benchCluster(featureGates: Record<string, boolean> = {}): Promise<LocalCluster> {
  return new LocalProvider().up({ kubernetesVersion: defaultKubernetesVersion, components: [], memoryLimits: {}, apiserverArgs: {}, featureGates });
}

/** User + system CPU seconds of a process, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number | 'self'): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
