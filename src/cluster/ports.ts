import fs from 'node:fs';
import net from 'node:net';

/**
 * The kernel's ephemeral range: where the source ports of outgoing connections come
 * from. A listen port picked inside it can be taken by any connection on the machine
 * (an agent fleet opens thousands) between our check and the server's own bind.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

/** Listen ports are drawn at random from the registered range below the ephemeral one. */
function candidate(): number {
  const [low, high] = ephemeralRange();
  const [from, to] = low > 11_000 ? [10_000, low - 1] : [high + 1, 65_535];
  return from + Math.floor(Math.random() * (to - from + 1));
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Claims a port machine-wide until this process exits, so that a second run (or a parallel
 * test) cannot pick it in the seconds between our check and etcd's or the apiserver's bind
 * (seen in CI: two clusters drew the same apiserver port). The claim is a socket in Linux's
 * abstract namespace: no file to leave behind, and the kernel drops it when the process ends.
 * Elsewhere there is no such namespace, and the claim always succeeds.
 */
export function claimPort(port: number): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(true);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE'));
    server.listen({ path: `\0cpchaos-port-${port}` }, () => {
      server.unref();
      resolve(true);
    });
  });
}

/** A port that was free on 127.0.0.1 a moment ago, outside the range outgoing connections use, and claimed by no other run. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = candidate();
    if ((await bindable(port)) && (await claimPort(port))) return port;
  }
  throw new Error('no free port found on 127.0.0.1 below the ephemeral range');
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
