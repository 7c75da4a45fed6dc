import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/**
 * Where the proxy dials for an apiserver URL. URL.port is empty for the scheme's default,
 * and an in-cluster apiserver (https://10.96.0.1:443) is exactly that: read as port 0,
 * every agent connection would fail.
 */
export function upstreamOf(server: string): { host: string; port: number } {
  const url = new URL(server);
  // An IPv6 hostname comes in brackets, which a socket does not take.
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)) };
}

/**
 * The "load balancer" between simulated agents and the apiserver: a TCP proxy on
 * 127.0.0.1 that the runner owns, so it can do what a real load balancer does to
 * long-lived watch connections: reset them, slow them, or swallow them. TLS passes
 * through untouched; the apiserver's certificate is valid for 127.0.0.1.
 */
export class LoadBalancerProxy {
  private server?: net.Server;
  private readonly pairs = new Set<Pair>();
  private latencyMs = 0;
  private blackholed = false;
  port = 0;
  accepted = 0;
  /** What passed through, for benchmarks that compare clients: bytes and reads, each way. */
  readonly forwarded = { toServer: { bytes: 0, chunks: 0 }, toClient: { bytes: 0, chunks: 0 } };

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.server.maxConnections = 100_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    if (this.blackholed) {
      // A blackhole answers nothing: the connection just hangs until the client gives up.
      client.on('error', () => undefined);
      client.pause();
      this.pairs.add({ client, upstream: client });
      return;
    }
    const upstream = net.connect({ port: this.upstreamPort, host: this.upstreamHost, allowHalfOpen: true });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const later = (action: () => void) => (this.latencyMs > 0 ? setTimeout(action, this.latencyMs) : action());
    const forward = (from: net.Socket, to: net.Socket, tally: { bytes: number; chunks: number }) => {
      from.on('data', (chunk: Buffer) => {
        if (this.blackholed) return;
        tally.bytes += chunk.length;
        tally.chunks++;
        if (this.latencyMs > 0) {
          setTimeout(() => to.writable && to.write(chunk), this.latencyMs);
        } else if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      // A half-close travels on after the data before it, so nothing in flight is cut off.
      from.on('end', () => later(() => to.end()));
    };
    forward(client, upstream, this.forwarded.toServer);
    forward(upstream, client, this.forwarded.toClient);
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) this.pairs.delete(pair);
    };
    const onError = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    client.on('error', onError);
    upstream.on('error', onError);
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Resets a fraction of the open connections at once (TCP RST to both sides), as a load balancer failover does. */
  drop(fraction = 1): number {
    const all = [...this.pairs];
    const victims = fraction >= 1 ? all : all.filter(() => Math.random() < fraction);
    for (const { client, upstream } of victims) {
      client.resetAndDestroy();
      if (upstream !== client) upstream.resetAndDestroy();
    }
    return victims.length;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** While on, bytes are swallowed and new connections hang; turning it off resets the swallowed connections. */
  setBlackhole(on: boolean): void {
    this.blackholed = on;
    if (!on) {
      for (const pair of [...this.pairs]) {
        if (pair.upstream === pair.client) {
          pair.client.resetAndDestroy();
          this.pairs.delete(pair);
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.drop(1);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
