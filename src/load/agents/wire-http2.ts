import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { connectTls, type TlsMaterial } from '../transports/types.js';
import type { AgentSockets } from './sockets.js';
import { RequestWire, type OpenRequest, type RawResponse, type WireOptions } from './wire.js';

/**
 * One agent's HTTP/2 connection, carrying all its informers as streams, as client-go's
 * transport does. A new connection (a full TLS handshake: client-go keeps no session
 * cache) once the last one closed, was reset or got a GOAWAY.
 */
export class Http2Wire extends RequestWire {
  private session?: http2.ClientHttp2Session;
  /** Why the current session failed, if it did: what its streams' errors are reported as. */
  private sessionError?: NodeJS.ErrnoException;
  private readonly unhook: () => void;

  private readonly sockets?: AgentSockets;
  private readonly onDial?: (spare: boolean) => void;

  constructor(
    private readonly server: string,
    private readonly tls: TlsMaterial,
    /** With `sockets`, where the connection's TCP socket is kept, so the fleet can reset it; `onDial` is told of every connection dialled. */
    options: WireOptions & { sockets?: AgentSockets; onDial?: (spare: boolean) => void },
  ) {
    super(options);
    this.sockets = options.sockets;
    this.onDial = options.onDial;
    this.unhook = options.cancellation.onStop(() => this.close());
  }

  private connect(): http2.ClientHttp2Session {
    const live = this.session;
    if (live && !live.closed && !live.destroyed) {
      if (live.connecting) this.dialSpare();
      return live;
    }
    this.sessionError = undefined;
    this.onDial?.(false);
    const sockets = this.sockets;
    const track = sockets ? (tcp: Socket, tls: TLSSocket) => sockets.add(tcp, tls) : undefined;
    const session = http2.connect(this.server, { createConnection: (authority: URL) => connectTls(authority, this.tls, ['h2'], track) });
    session.on('error', (error: NodeJS.ErrnoException) => {
      if (this.session === session) this.sessionError = error;
    });
    // A GOAWAY lets streams in flight finish; new requests take a new connection.
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  /**
   * What Go's transport does for a request that finds no connection ready: it dials one of its
   * own, and once its TLS handshake is done and another connection won the race, closes it
   * (http2's addConnIfNeeded). So a client-go agent whose informers reconnect at once makes the
   * apiserver complete a handshake per informer (bench/README.md), and so do ours.
   */
  private dialSpare(): void {
    this.onDial?.(true);
    const spare = connectTls(new URL(this.server), this.tls, ['h2']);
    // As Go's tls.Conn.Close: the client's last handshake flight and a close_notify are flushed,
    // then the socket is closed without waiting for the server. Destroying it at secureConnect
    // cut that flight off: the server never verified the certificate (a handshake error, and less
    // work than client-go's); an end() alone waited on the server and held descriptors open.
    spare.once('secureConnect', () => {
      spare.once('finish', () => spare.destroy());
      spare.end();
    });
    spare.on('error', () => spare.destroy());
  }

  protected open(request: OpenRequest, authorization: string | undefined): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        // A GET ends its stream with its headers, as Go's client does.
        stream = this.connect().request(
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
      } catch (error) {
        reject(error as Error);
        return;
      }
      const fail = (error: NodeJS.ErrnoException) => reject(this.sessionError ?? error);
      stream.once('error', fail);
      stream.once('response', (headers) => {
        stream.off('error', fail);
        resolve({
          status: Number(headers[':status'] ?? 0),
          headers: headers as RawResponse['headers'],
          body: stream,
          abort: () => stream.close(http2.constants.NGHTTP2_CANCEL),
        });
      });
      stream.once('close', () => reject(this.sessionError ?? Object.assign(new Error('stream closed before its response'), { code: 'ECONNRESET' })));
    });
  }

  close(): void {
    this.unhook();
    this.session?.destroy();
    this.session = undefined;
  }
}
