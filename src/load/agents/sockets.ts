import type net from 'node:net';
import type tls from 'node:tls';

/**
 * The TCP sockets under the agents' connections, so the runner can reset them itself with
 * an RST, as a load balancer failover does, without relaying their bytes. A relay costs two
 * more file descriptors per connection and a copy of every byte; these cost a Set entry.
 */
export class AgentSockets {
  private readonly open = new Map<net.Socket, tls.TLSSocket | undefined>();

  /** Tracks a TCP socket (and the TLS socket over it, which must hear of the reset) until it closes. */
  add(socket: net.Socket, over?: tls.TLSSocket): void {
    this.open.set(socket, over);
    socket.once('close', () => this.open.delete(socket));
  }

  get count(): number {
    return this.open.size;
  }

  /** Resets a fraction of the open sockets at once (TCP RST); how many. */
  reset(fraction = 1): number {
    const victims = fraction >= 1 ? [...this.open] : [...this.open].filter(() => Math.random() < fraction);
    for (const [socket, over] of victims) {
      this.open.delete(socket);
      // A socket still connecting has no TCP handle to reset yet: it is reset once connected.
      socket.resetAndDestroy();
      // TLS took over the TCP handle and is not told it closed: it fails as a reset from the server would.
      over?.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    }
    return victims.length;
  }
}
