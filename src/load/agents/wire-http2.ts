import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { connectTls, type TlsMaterial } from '../transports/types.js';
import { dialDeadlines, tlsHandshakeTimeoutMs } from './dial-deadlines.js';
import type { AgentSockets } from './sockets.js';
import type { HandshakeGate } from './handshake-gate.js';
import { clientGoHealthCheck, watchHealth, type HealthCheck } from './http2-health.js';
import { RequestWire, agentStopped, closedConnection, type OpenRequest, type RawResponse, type WireOptions } from './wire.js';

interface Waiter {
  resolve(session: http2.ClientHttp2Session): void;
  reject(error: Error): void;
}

/** A spare dialled for the apiserver's sake alone: the request it was for is served by the connection that won. */
const servedElsewhere: Waiter = { resolve: () => undefined, reject: () => undefined };

/** One wait for a connection: from the request that found none and no dial in flight to the connection adopted. */
interface Wait {
  /** How long that dial waited at the gate before its handshake began: unknown while it waits. */
  gateWait?: number;
  /** When (performance.now()) each later request whose spare is not decided yet arrived. */
  readonly undecided: number[];
}

/**
 * How a dial ended: its connection became the agent's (`kept`), finished its handshake after another had and was
 * closed (`closed`), or never finished its handshake (`failed`: refused, reset, or past its timeout).
 */
export type DialOutcome = 'kept' | 'closed' | 'failed';

/**
 * One agent's HTTP/2 connection, carrying all its informers as streams, as client-go's
 * transport does. A new connection (a full TLS handshake: client-go keeps no session
 * cache) once the last one closed, was reset or got a GOAWAY.
 *
 * Go's transport binds a request to a connection late: every request that finds none ready
 * dials one of its own, and the first handshake to finish serves every request waiting
 * (net/http's tryPutIdleConn hands an HTTP/2 connection to all of them); the later ones are
 * closed once their handshake is done (http2's addConnIfNeeded). So a client-go agent whose
 * informers reconnect at once makes the apiserver complete a handshake per informer
 * (bench/README.md), and so do ours; and one dial stuck in a full listen queue does not hold
 * the agent's informers while another got through. One difference: when the runner's process is
 * short of file descriptors (AgentSockets' budget), a request finding a dial in flight waits for it
 * rather than dial a spare, and the fleet counts the spare withheld.
 *
 * Past a HandshakeGate, the agent's first dial may wait before its handshake starts: time a real agent
 * never spends. Go's window for a spare is that handshake, so a request arriving while the first dial
 * waits or shakes hands after waiting is not sent its spare yet. Once a connection is up, the agent's
 * time is taken as ours less the wait at the gate: a request that arrived before the connection would
 * have been up then gets its spare dialled (and closed once its handshake is done, as Go's losers are);
 * a later one just goes over the connection, as it would have in Go.
 */
export class Http2Wire extends RequestWire {
  private session?: http2.ClientHttp2Session;
  /** Why the current session failed, if it did: what its streams' errors are reported as. */
  private sessionError?: NodeJS.ErrnoException;
  /** Requests waiting for a connection, each with a dial of its own in flight. */
  private waiting: Waiter[] = [];
  private readonly dialling = new Set<TLSSocket>();
  /** Dials whose TCP connection is up: where connrotation starts tracking a connection (its DialContext returned). */
  private readonly tcpUp = new WeakSet<TLSSocket>();
  /** Streams open on each connection: one with none is idle. */
  private readonly streams = new WeakMap<http2.ClientHttp2Session, number>();
  private readonly unhook: () => void;

  private readonly sockets?: AgentSockets;
  private readonly onDial?: (spare: boolean) => void;
  private readonly onSpareWithheld?: () => void;
  private readonly onDialEnded?: (outcome: DialOutcome, spare: boolean) => void;
  private readonly gate?: HandshakeGate;
  /** Dials of this agent waiting at the gate: in flight as far as its requests can tell. */
  private queued = 0;
  private wait?: Wait;
  /** Set once the agent stops: the dials it cuts short then did not fail. */
  private stopped = false;
  private readonly handshakeTimeoutMs: number;
  private readonly healthCheck: HealthCheck;

  constructor(
    private readonly server: string,
    private readonly tls: TlsMaterial,
    /**
     * With `sockets`, where the connection's TCP socket is kept, so the fleet can reset it; `onDial` is told of every connection
     * dialled (a spare: another dial of the agent's was in flight), and `onSpareWithheld` of a spare not dialled because `sockets`
     * had no descriptors to spare (the request waits for the agent's dials in flight instead); `onDialEnded` of how each dial
     * ended; past `gate`'s handshakes in flight a dial, first or spare, waits its turn.
     */
    options: WireOptions & {
      sockets?: AgentSockets;
      onDial?: (spare: boolean) => void;
      onSpareWithheld?: () => void;
      onDialEnded?: (outcome: DialOutcome, spare: boolean) => void;
      gate?: HandshakeGate;
      handshakeTimeoutMs?: number;
      healthCheck?: HealthCheck;
    },
  ) {
    super(options);
    this.sockets = options.sockets;
    this.onDial = options.onDial;
    this.onSpareWithheld = options.onSpareWithheld;
    this.onDialEnded = options.onDialEnded;
    this.gate = options.gate;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? tlsHandshakeTimeoutMs;
    this.healthCheck = options.healthCheck ?? clientGoHealthCheck();
    this.unhook = options.cancellation.onStop(() => this.close());
  }

  private live(): http2.ClientHttp2Session | undefined {
    const session = this.session;
    return session && !session.closed && !session.destroyed ? session : undefined;
  }

  /** The agent's connection, or the first of the dials in flight (this request's own among them) to finish its handshake. */
  private connection(): Promise<http2.ClientHttp2Session> {
    // Asked after the agent stopped, a dial would wait at the gate and never be made: the request would never settle.
    if (this.stopped) return Promise.reject(agentStopped());
    const live = this.live();
    if (live) return Promise.resolve(live);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiting.push(waiter);
      this.dial(waiter);
    });
  }

  private dial(waiter: Waiter): void {
    const now = performance.now();
    if (this.inFlight() === 0) {
      const wait: Wait = { undecided: [] };
      this.wait = wait;
      return this.gated(waiter, false, (waited) => (wait.gateWait = waited));
    }
    const wait = this.wait;
    // Whether Go would have dialled this spare depends on when the connection is up in the agent's time: known only then.
    if (wait && wait.gateWait !== 0) wait.undecided.push(now);
    else this.dialSpare(waiter);
  }

  private dialSpare(waiter: Waiter): void {
    if (this.sockets && !this.sockets.roomForSpare()) {
      this.onSpareWithheld?.();
      return;
    }
    this.gated(waiter, true);
  }

  /** Dials now, or once the gate has room; `admitted` is told how long the dial waited (exactly 0 if it did not). */
  private gated(waiter: Waiter, spare: boolean, admitted?: (waitedMs: number) => void): void {
    const gate = this.gate;
    if (!gate) {
      admitted?.(0);
      return this.startDial(waiter, spare);
    }
    const askedAt = performance.now();
    let waited = false;
    this.queued++;
    gate.admit(() => {
      this.queued--;
      // Dialled even when another connection got through meanwhile: Go's dial, once begun, finishes its handshake too.
      if (this.stopped) return false;
      admitted?.(waited ? performance.now() - askedAt : 0);
      this.startDial(waiter, spare, () => gate.ended());
      return true;
    });
    waited = true;
  }

  /** The connection is up: the requests that arrived before it would have been in the agent's time get their spares. */
  private decideSpares(): void {
    const wait = this.wait;
    this.wait = undefined;
    if (!wait?.gateWait) return;
    const upInAgentTime = performance.now() - wait.gateWait;
    for (const askedAt of wait.undecided) if (askedAt < upInAgentTime) this.dialSpare(servedElsewhere);
  }

  private inFlight(): number {
    return this.dialling.size + this.queued;
  }

  /** Dials a connection for `waiter`; `handshakeEnded` once its handshake finished or failed. */
  private startDial(waiter: Waiter, spare: boolean, handshakeEnded: () => void = () => undefined): void {
    this.onDial?.(spare);
    const sockets = this.sockets;
    let tcp: Socket | undefined;
    const track = sockets
      ? (socket: Socket, tls: TLSSocket) => {
          tcp = socket;
          sockets.add(socket, tls, spare);
        }
      : undefined;
    const socket = connectTls(new URL(this.server), this.tls, ['h2'], track);
    this.dialling.add(socket);
    socket.once('connect', () => this.tcpUp.add(socket));
    dialDeadlines(socket, this.handshakeTimeoutMs);
    let secured = false;
    socket.once('secureConnect', () => {
      secured = true;
      handshakeEnded();
      this.dialling.delete(socket);
      if (this.live()) {
        this.onDialEnded?.('closed', spare);
        closeSpare(socket);
      } else {
        if (tcp) sockets?.kept(tcp);
        this.onDialEnded?.('kept', spare);
        this.adopt(socket);
      }
    });
    let failure: Error | undefined;
    socket.once('error', (error: Error) => {
      failure = error;
      socket.destroy();
    });
    socket.once('close', () => {
      this.dialling.delete(socket);
      if (secured) return;
      handshakeEnded();
      if (!this.stopped) this.onDialEnded?.('failed', spare);
      const error = failure ?? Object.assign(new Error('connection closed before its TLS handshake'), { code: 'ECONNRESET' });
      // As in Go, a request whose own dial failed gets its error, unless a connection reached it first.
      const at = this.waiting.indexOf(waiter);
      if (at >= 0) {
        this.waiting.splice(at, 1);
        waiter.reject(error);
      }
      // Requests with no dial of their own (withheld, or their spare not decided) wait on the agent's others; with none left, they fail as this one did.
      if (this.inFlight() === 0 && !this.live()) this.rejectWaiting(error);
    });
  }

  /** A connection whose handshake finished first becomes the agent's, and every request waiting goes over it. */
  private adopt(socket: TLSSocket): void {
    this.sessionError = undefined;
    const session = http2.connect(this.server, { createConnection: () => socket });
    session.on('error', (error: NodeJS.ErrnoException) => {
      if (this.session === session) this.sessionError = error;
    });
    // A GOAWAY lets streams in flight finish; new requests take a new connection.
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    // As Go's closeForLostPing: every stream on it fails, and the next request dials anew.
    watchHealth(session, socket, this.healthCheck, () => {
      if (this.session === session) {
        this.session = undefined;
        this.sessionError = Object.assign(new Error('http2: client connection lost'), { code: 'ECONNRESET' });
      }
      session.destroy();
    });
    this.session = session;
    this.decideSpares();
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) waiter.resolve(session);
  }

  private rejectWaiting(error: Error): void {
    this.wait = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) waiter.reject(error);
  }

  /**
   * The connection, or the request's deadline if it passes first: Go's http.Client.Timeout bounds the wait for a
   * connection (its dial and TLS handshake) too. The dial goes on, for the requests after this one, as Go's does.
   */
  private connectionWithin(signal: AbortSignal | undefined): Promise<http2.ClientHttp2Session> {
    if (!signal) return this.connection();
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const expired = () => reject(signal.reason as Error);
      signal.addEventListener('abort', expired, { once: true });
      this.connection()
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', expired));
    });
  }

  protected async open(request: OpenRequest, authorization: string | undefined): Promise<RawResponse> {
    const session = await this.connectionWithin(request.signal);
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        // A GET ends its stream with its headers, as Go's client does.
        stream = session.request(
          {
            ':method': request.method,
            ':path': request.path,
            accept: request.accept,
            'user-agent': request.userAgent,
            ...(request.contentType ? { 'content-type': request.contentType } : {}),
            ...(authorization ? { authorization } : {}),
          },
          { endStream: request.body === undefined },
        );
        if (request.body !== undefined) stream.end(request.body);
        this.streams.set(session, (this.streams.get(session) ?? 0) + 1);
        stream.once('close', () => this.streams.set(session, (this.streams.get(session) ?? 1) - 1));
      } catch (error) {
        reject(error as Error);
        return;
      }
      // Ended whole, the stream is still open when its end is emitted: Node destroys it in an 'end' listener of its own,
      // added when the stream closes, which may be before 'response' is emitted (a later tick) and before anyone reads the
      // body. Torn down mid-body, it already is. So this listener goes first, added before any frame can arrive.
      let cut = false;
      stream.once('end', () => (cut = stream.destroyed));
      const fail = (error: NodeJS.ErrnoException) => reject(this.sessionError ?? error);
      stream.once('error', fail);
      const signal = request.signal;
      // Past its deadline before the response came, Go's transport resets the stream (RST_STREAM CANCEL).
      const cancel = () => {
        reject(signal?.reason as Error);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
      stream.once('response', (headers) => {
        stream.off('error', fail);
        signal?.removeEventListener('abort', cancel);
        resolve({
          status: Number(headers[':status'] ?? 0),
          headers: headers as RawResponse['headers'],
          body: stream,
          abort: () => stream.close(http2.constants.NGHTTP2_CANCEL),
          cut: () => cut,
        });
      });
      stream.once('close', () => reject(this.sessionError ?? Object.assign(new Error('stream closed before its response'), { code: 'ECONNRESET' })));
    });
  }

  /**
   * Forgets the connection, so the next request dials a new one (the agent is not stopped), and destroys it in a later
   * turn: called from one of the session's own stream callbacks, a synchronous destroy corrupted Node 20's heap (nghttp2
   * still in the callback).
   */
  private retire(session: http2.ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
    setImmediate(() => session.destroy());
  }

  closeConnections(): void {
    if (this.session) this.retire(this.session);
    // connrotation tracks each connection once its TCP connect returned: CloseAll closes those in their TLS handshake
    // too, whose requests then fail (the apiserver counts a failed handshake); a TCP connect still under way goes on.
    for (const dialling of this.dialling) if (this.tcpUp.has(dialling)) dialling.destroy(closedConnection());
  }

  /** The connection, if no stream is open on it (Go's closeIfIdle); dials in flight go on. */
  closeIdleConnections(): void {
    const session = this.live();
    if (session && (this.streams.get(session) ?? 0) === 0) this.retire(session);
  }

  close(): void {
    this.stopped = true;
    this.unhook();
    this.session?.destroy();
    this.session = undefined;
    for (const socket of this.dialling) socket.destroy();
    this.dialling.clear();
    this.rejectWaiting(agentStopped());
  }
}

/**
 * A dial that lost the race, closed as Go's tls.Conn.Close does: the client's last handshake flight
 * and a close_notify are flushed, then the socket is closed without waiting for the server.
 * Destroying it at once cut that flight off: the server never verified the certificate (a handshake
 * error, and less work than client-go's); an end() alone waited on the server and held descriptors open.
 */
function closeSpare(socket: TLSSocket): void {
  socket.once('finish', () => socket.destroy());
  socket.end();
}
