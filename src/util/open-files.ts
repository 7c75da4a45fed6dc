import fs from 'node:fs';

/** How many files this process may open (the soft RLIMIT_NOFILE, `ulimit -n`); undefined where /proc does not say. */
export function openFilesLimit(): number | undefined {
  const limits = fs.readFileSync('/proc/self/limits', { encoding: 'utf8', flag: 'r' });
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
}
