import type { TLSSocket } from 'node:tls';
import { agentStopped, closedConnection } from './wire.js';

/** client-go's transport keeps this many idle connections per host (k8s.io/client-go/transport/cache.go). */
export const maxIdleConnections = 25;
/** And closes one idle this long (http.DefaultTransport's IdleConnTimeout, which client-go keeps). */
export const idleConnectionTimeoutMs = 90_000;

/** A request waiting for a connection: Go's wantConn. */
interface Want {
  done: boolean;
  deliver(socket: TLSSocket): void;
  fail(error: Error): void;
}

export interface Http1PoolOptions {
  /** Starts a TLS connection to the apiserver (its TCP socket tracked, held to the dial deadlines). */
  dial(): TLSSocket;
  /** Told once each dial's handshake finished (`kept`) or did not (`failed`). */
  onDialEnded?: (outcome: 'kept' | 'failed') => void;
  maxIdle?: number;
  idleTimeoutMs?: number;
}

/**
 * One agent's HTTP/1.1 connections, pooled as Go's http.Transport pools them, not as Node's https.Agent does.
 * A request takes the most recently used idle connection; with none, it dials one of its own and takes whichever
 * comes first, its dial or a connection another request frees (Go's late binding). The dial outlives a request that
 * gives up ("a future request may be able to make use of the connection", net/http's getConn): once its handshake is
 * done it goes to the first request still waiting, else to the idle list. Node's agent ties a dial to its request and
 * destroys it when the request times out, so a starved apiserver was spared the handshakes client-go makes it finish.
 * A connection is handed back on its socket's 'free', which Node's client emits once a keep-alive response has ended.
 */
export class Http1ConnectionPool {
  /** Least recently used first. */
  private idle: TLSSocket[] = [];
  private readonly idleTimers = new Map<TLSSocket, NodeJS.Timeout>();
  /** In the order they asked: Go's idleConnWait. */
  private waiting: Want[] = [];
  /** Every connection of the pool's, from its dial on. */
  private readonly connections = new Set<TLSSocket>();
  /** Those whose TCP connect returned: what connrotation tracks, and so what its CloseAll closes. */
  private readonly tcpUp = new WeakSet<TLSSocket>();
  private stopped = false;
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: Http1PoolOptions) {
    this.maxIdle = options.maxIdle ?? maxIdleConnections;
    this.idleTimeoutMs = options.idleTimeoutMs ?? idleConnectionTimeoutMs;
  }

  /** A connection for one request, or the request's `signal` reason if it is aborted first (the dial goes on). */
  acquire(signal?: AbortSignal): Promise<TLSSocket> {
    if (this.stopped) return Promise.reject(agentStopped());
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const socket = this.takeIdle();
    if (socket) return Promise.resolve(socket);
    return new Promise((resolve, reject) => {
      const giveUp = () => {
        this.forget(want);
        reject(signal?.reason as Error);
      };
      const settle = () => signal?.removeEventListener('abort', giveUp);
      const want: Want = {
        done: false,
        deliver: (delivered) => (settle(), resolve(delivered)),
        fail: (error) => (settle(), reject(error)),
      };
      signal?.addEventListener('abort', giveUp, { once: true });
      this.waiting.push(want);
      this.dial(want);
    });
  }

  private takeIdle(): TLSSocket | undefined {
    for (let socket = this.idle.pop(); socket; socket = this.idle.pop()) {
      clearTimeout(this.idleTimers.get(socket));
      this.idleTimers.delete(socket);
      if (!socket.destroyed && socket.writable) return socket;
    }
    return undefined;
  }

  private forget(want: Want): void {
    want.done = true;
    this.waiting = this.waiting.filter((other) => other !== want);
  }

  private dial(want: Want): void {
    const socket = this.options.dial();
    this.connections.add(socket);
    socket.once('connect', () => this.tcpUp.add(socket));
    let secured = false;
    let failure: Error | undefined;
    socket.on('error', (error: Error) => {
      failure ??= error;
      socket.destroy();
    });
    socket.once('secureConnect', () => {
      secured = true;
      this.options.onDialEnded?.('kept');
      if (want.done) return this.put(socket);
      this.forget(want);
      want.deliver(socket);
    });
    socket.once('close', () => {
      this.connections.delete(socket);
      this.dropIdle(socket);
      if (secured) return;
      if (!this.stopped) this.options.onDialEnded?.('failed');
      // As in Go, a dial's error goes to its own request only, if that still waits.
      if (want.done) return;
      this.forget(want);
      want.fail(failure ?? Object.assign(new Error('connection closed before its TLS handshake'), { code: 'ECONNRESET' }));
    });
    socket.on('free', () => this.put(socket));
  }

  /** Go's tryPutIdleConn: to the first request still waiting, else idle, unless the pool has enough idle ones. */
  private put(socket: TLSSocket): void {
    if (this.stopped || socket.destroyed || !socket.writable) return void socket.destroy();
    const want = this.waiting.shift();
    if (want) {
      want.done = true;
      return want.deliver(socket);
    }
    if (this.idle.length >= this.maxIdle) return void socket.destroy();
    this.idle.push(socket);
    const timer = setTimeout(() => socket.destroy(), this.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(socket, timer);
  }

  private dropIdle(socket: TLSSocket): void {
    clearTimeout(this.idleTimers.get(socket));
    this.idleTimers.delete(socket);
    const at = this.idle.indexOf(socket);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** connrotation's CloseAll: every connection, idle, busy or in its TLS handshake (requests on them fail); a TCP connect under way goes on. */
  closeAll(): void {
    for (const socket of this.connections) if (this.tcpUp.has(socket)) socket.destroy(closedConnection());
  }

  /** Go's CloseIdleConnections: the connections no request holds. */
  closeIdle(): void {
    for (const socket of [...this.idle]) socket.destroy();
  }

  /** The agent stopped: every connection closes and every request waiting fails. */
  close(): void {
    this.stopped = true;
    for (const socket of this.connections) socket.destroy();
    const waiting = this.waiting;
    this.waiting = [];
    for (const want of waiting) {
      want.done = true;
      want.fail(agentStopped());
    }
  }
}
