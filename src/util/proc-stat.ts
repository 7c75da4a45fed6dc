/** USER_HZ: 100 on every Linux architecture Kubernetes ships for. */
const clockTicks = 100;

/**
 * The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and
 * parentheses: fields[0] is the state (field 3 of proc(5)), fields[11] and [12] utime and
 * stime, fields[19] starttime.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds from a /proc/<pid>/stat text. */
export function statCpuSeconds(stat: string): number {
  const fields = statFields(stat);
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}
