import type net from 'node:net';
import type tls from 'node:tls';

/**
 * The descriptors a process's agents may hold, counted across its worker threads (the counter is a
 * SharedArrayBuffer each thread's registry adds to). Past `limit` the agents dial no spare
 * connections: client-go's transport dials one per request that finds its connection still being
 * made, which a node's own agent can afford, but thousands of agents in one process reconnecting at
 * once would ask for one descriptor per informer and fail with EMFILE (bench/README.md).
 */
export interface SocketBudget {
  readonly counter: SharedArrayBuffer;
  readonly limit: number;
}

export function socketBudget(limit: number): SocketBudget {
  return { counter: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT), limit };
}

/**
 * The TCP sockets under the agents' connections, so the runner can reset them itself with
 * an RST, as a load balancer failover does, without relaying their bytes. A relay costs two
 * more file descriptors per connection and a copy of every byte; these cost a Set entry.
 */
export class AgentSockets {
  private readonly open = new Map<net.Socket, tls.TLSSocket | undefined>();
  private readonly shared?: Int32Array;

  constructor(readonly budget?: SocketBudget) {
    if (budget) this.shared = new Int32Array(budget.counter);
  }

  /** Tracks a TCP socket (and the TLS socket over it, which must hear of the reset) until it closes. */
  add(socket: net.Socket, over?: tls.TLSSocket): void {
    this.open.set(socket, over);
    if (this.shared) Atomics.add(this.shared, 0, 1);
    socket.once('close', () => this.forget(socket));
  }

  private forget(socket: net.Socket): void {
    if (this.open.delete(socket) && this.shared) Atomics.sub(this.shared, 0, 1);
  }

  get count(): number {
    return this.open.size;
  }

  /** Whether the process has descriptors to spare for one more connection than an agent needs. */
  roomForSpare(): boolean {
    return !this.shared || Atomics.load(this.shared, 0) < this.budget!.limit;
  }

  /** Resets a fraction of the open sockets at once (TCP RST); how many. */
  reset(fraction = 1): number {
    const victims = fraction >= 1 ? [...this.open] : [...this.open].filter(() => Math.random() < fraction);
    for (const [socket, over] of victims) {
      this.forget(socket);
      // A socket still connecting has no TCP handle to reset yet: it is reset once connected.
      socket.resetAndDestroy();
      // TLS took over the TCP handle and is not told it closed: it fails as a reset from the server would.
      over?.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    }
    return victims.length;
  }
}
