import fs from 'node:fs/promises';
import path from 'node:path';

export async function readText(file: string): Promise<string> {
  return (await fs.readFile(file, 'utf8')).trim();
}

export async function readNumber(file: string): Promise<number> {
  return Number(await readText(file));
}

/** Reads "key value" lines (memory.events, memory.oom_control, memory.stat). */
export async function readKeyed(file: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const line of (await readText(file)).split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

export async function readPids(procsFile: string): Promise<number[]> {
  try {
    return (await readText(procsFile)).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Kills everything in the cgroup and removes it and its empty children. rmdir
 * fails with EBUSY until the kernel has reaped the killed tasks, so it is retried.
 */
export async function killAndRemove(dir: string, procsFile: (dir: string) => string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true }).then((list) => list.filter((e) => e.isDirectory()).map((e) => e.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const child of entries) await killAndRemove(path.join(dir, child), procsFile);
  for (let attempt = 0; ; attempt++) {
    for (const pid of await readPids(procsFile(dir))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      await fs.rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
