import fs from 'node:fs/promises';

/** Socket inodes listening on TCP `port` (IPv4 and IPv6), from /proc/net. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, inode is field 9.
      if (fields.length > 9 && fields[3] === '0A' && parseInt(fields[1]!.split(':')[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/**
 * The command lines of the processes listening on `port`. Tests run in parallel and
 * free ports are reused, so "something listens on the port" does not mean "our
 * process is still there"; who listens does.
 */
export async function listenersOn(port: number): Promise<string[]> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return [];
  const owners: string[] = [];
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1]!)) {
        owners.push((await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ').trim());
        break;
      }
    }
  }
  return owners;
}

/** The listeners on `ports` that belong to the cluster whose files live in `stateDir`. */
export async function clusterListeners(ports: number[], stateDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const port of ports) for (const cmdline of await listenersOn(port)) if (cmdline.includes(stateDir)) found.push(`${port}: ${cmdline.slice(0, 120)}`);
  return found;
}
