import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { connectTls, type TlsMaterial } from '../transports/types.js';
import { dialDeadlines } from './dial-deadlines.js';
import { Http1ConnectionPool } from './http1-pool.js';
import type { AgentSockets } from './sockets.js';
import { RequestWire, type OpenRequest, type RawResponse, type WireOptions } from './wire.js';

/**
 * HTTP/1.1, a keep-alive connection per request in flight: client-go with DISABLE_HTTP2, each watch on its own connection.
 * The agent's connections are its own, as each real agent's transport is, pooled as Go pools them (Http1ConnectionPool).
 */
export class Http1Wire extends RequestWire {
  private readonly pool: Http1ConnectionPool;
  private readonly unhook: () => void;

  constructor(
    private readonly server: string,
    tls: TlsMaterial,
    /** With `sockets`, where each connection's TCP socket is kept, so the fleet can reset it; `onDial` is told of every dial and `onDialEnded` how it ended. */
    options: WireOptions & {
      sockets?: AgentSockets;
      onDial?: () => void;
      onDialEnded?: (outcome: 'kept' | 'failed') => void;
    },
  ) {
    super(options);
    const url = new URL(server);
    const sockets = options.sockets;
    const track = sockets ? (tcp: Socket, over: TLSSocket) => sockets.add(tcp, over) : undefined;
    this.pool = new Http1ConnectionPool({
      dial: () => {
        options.onDial?.();
        const socket = connectTls(url, tls, ['http/1.1'], track);
        dialDeadlines(socket);
        return socket;
      },
      ...(options.onDialEnded ? { onDialEnded: options.onDialEnded } : {}),
    });
    this.unhook = options.cancellation.onStop(() => this.close());
  }

  protected async open(open: OpenRequest, authorization: string | undefined): Promise<RawResponse> {
    const signal = open.signal;
    const socket = await this.pool.acquire(signal);
    return new Promise((resolve, reject) => {
      const headers = {
        accept: open.accept,
        'user-agent': open.userAgent,
        // Without an agent Node asks for Connection: close; the pool keeps the connection for the next request.
        connection: 'keep-alive',
        ...(open.contentType ? { 'content-type': open.contentType } : {}),
        ...(authorization ? { authorization } : {}),
      };
      const request = https.request(`${this.server}${open.path}`, { method: open.method, headers, createConnection: () => socket }, (response) =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: response,
          abort: () => request.destroy(),
          cut: () => !response.complete,
        }),
      );
      if (signal) {
        const cancel = () => request.destroy(signal.reason as Error);
        if (signal.aborted) cancel();
        else signal.addEventListener('abort', cancel, { once: true });
        request.on('response', () => signal.removeEventListener('abort', cancel));
      }
      request.on('error', reject);
      request.end(open.body);
    });
  }

  /**
   * Every connection the agent has, carrying a request, idle, or in its handshake, as the connrotation dialer's CloseAll
   * closes every connection it dialled: a Lease PUT after it must not reuse one gone dead.
   */
  closeConnections(): void {
    this.pool.closeAll();
  }

  /** The keep-alive connections no request holds. */
  closeIdleConnections(): void {
    this.pool.closeIdle();
  }

  close(): void {
    this.unhook();
    this.pool.close();
  }
}
