import os from 'node:os';
import path from 'node:path';

/** Where built or downloaded binaries are kept between runs (XDG cache). */
export function cacheDir(): string {
  if (process.env.CPCHAOS_CACHE_DIR) return path.resolve(process.env.CPCHAOS_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'cpchaos');
}

/**
 * Where running clusters keep their state (certificates, etcd data, logs, pids).
 * One folder per cluster, so that `down --all` can find what a killed runner left.
 */
export function stateDir(): string {
  if (process.env.CPCHAOS_STATE_DIR) return path.resolve(process.env.CPCHAOS_STATE_DIR);
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'cpchaos');
}

export function clustersDir(): string {
  return path.join(stateDir(), 'clusters');
}
