import fs from 'node:fs/promises';
import lockfile from 'proper-lockfile';

const baseOptions = {
  stale: 60_000,
  update: 10_000,
  realpath: false,
  onCompromised: () => {
    // A compromised lock only risks a duplicate build; never crash a run over it.
  },
};

/**
 * Holds a cross-process lock on `target` while `work` runs, so two concurrent runs
 * never build or download the same artifact twice. The holder keeps the lock's
 * mtime fresh; a holder that died leaves a stale lock, taken over after a minute.
 * `onWait` is called once if another process holds the lock.
 */
export async function withLock<T>(target: string, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  await fs.mkdir(target, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, { ...baseOptions, retries: 0 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    onWait?.();
    release = await lockfile.lock(target, {
      ...baseOptions,
      retries: { retries: 3_600, factor: 1, minTimeout: 1_000, maxTimeout: 1_000 },
    });
  }
  try {
    return await work();
  } finally {
    await release();
  }
}
