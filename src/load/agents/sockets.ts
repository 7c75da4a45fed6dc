import type net from 'node:net';
import type tls from 'node:tls';

/**
 * The descriptors a process's agents may hold, counted across its worker threads (the counters are a
 * SharedArrayBuffer each thread's registry adds to): the sockets open, and the connections the
 * agents started need of their own. Spares get what is left of `limit`: client-go's transport dials
 * one per request that finds its connection still being made, which a node's own agent can afford,
 * but thousands of agents in one process reconnecting at once would ask for one descriptor per
 * informer and fail with EMFILE, and so would the agents' own dials if spares took their room
 * (bench/README.md).
 */
export interface SocketBudget {
  readonly counter: SharedArrayBuffer;
  readonly limit: number;
}

export function socketBudget(limit: number): SocketBudget {
  return { counter: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT), limit };
}

/**
 * The TCP sockets under the agents' connections, so the runner can reset them itself with
 * an RST, as a load balancer failover does, without relaying their bytes. A relay costs two
 * more file descriptors per connection and a copy of every byte; these cost a Set entry.
 */
export class AgentSockets {
  private readonly open = new Map<net.Socket, { over?: tls.TLSSocket; spare: boolean }>();
  /** [spare sockets open, connections the agents need of their own], across the process's threads. */
  private readonly shared?: Int32Array;

  constructor(readonly budget?: SocketBudget) {
    if (budget) this.shared = new Int32Array(budget.counter);
  }

  /**
   * Tracks a TCP socket (and the TLS socket over it, which must hear of the reset) until it closes;
   * a `spare` one counts against the budget.
   */
  add(socket: net.Socket, over?: tls.TLSSocket, spare = false): void {
    this.open.set(socket, { ...(over ? { over } : {}), spare });
    if (spare && this.shared) Atomics.add(this.shared, 0, 1);
    socket.once('close', () => this.forget(socket));
  }

  private forget(socket: net.Socket): void {
    this.leaveSpares(socket);
    this.open.delete(socket);
  }

  /** A spare that finished its handshake first became its agent's connection: it holds the room reserved for that. */
  kept(socket: net.Socket): void {
    this.leaveSpares(socket);
  }

  /** The one place a socket stops counting as a spare, so closing a kept spare cannot take it off the count twice. */
  private leaveSpares(socket: net.Socket): void {
    const entry = this.open.get(socket);
    if (!entry?.spare) return;
    entry.spare = false;
    if (this.shared) Atomics.sub(this.shared, 0, 1);
  }

  get count(): number {
    return this.open.size;
  }

  /** Keeps room for the connections of agents about to start, which spares must not take. */
  reserve(connections: number): void {
    if (this.shared) Atomics.add(this.shared, 1, connections);
  }

  /** Whether the process has descriptors for one more spare besides every agent's own connection. */
  roomForSpare(): boolean {
    return !this.shared || Atomics.load(this.shared, 0) + Atomics.load(this.shared, 1) < this.budget!.limit;
  }

  /** Resets a fraction of the open sockets at once (TCP RST); how many. */
  reset(fraction = 1): number {
    const victims = fraction >= 1 ? [...this.open] : [...this.open].filter(() => Math.random() < fraction);
    for (const [socket, { over }] of victims) {
      this.forget(socket);
      // A socket still connecting has no TCP handle to reset yet: it is reset once connected.
      socket.resetAndDestroy();
      // TLS took over the TCP handle and is not told it closed: it fails as a reset from the server would.
      over?.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    }
    return victims.length;
  }
}
