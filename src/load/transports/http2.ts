import http2 from 'node:http2';
import { connectTls, timeoutError, type TlsMaterial, type Transport, type TransportRequest, type TransportResponse } from './types.js';

/**
 * One HTTP/2 connection carrying every request as a stream, as client-go does by
 * default. Reconnects when the server closes the session (GOAWAY, apiserver restart).
 * An idle session does not keep the process alive; one with requests in flight does, or
 * a command whose only work is a request would exit before its answer.
 */
export class Http2Transport implements Transport {
  private session?: http2.ClientHttp2Session;
  private inFlight = 0;

  constructor(
    private readonly server: string,
    private readonly tls: TlsMaterial,
  ) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(this.server, { createConnection: (authority: URL) => connectTls(authority, this.tls, ['h2']) });
    session.on('error', () => undefined);
    session.on('goaway', () => session.close());
    if (this.inFlight === 0) session.unref();
    this.session = session;
    return session;
  }

  /** Holds the event loop for a request until it settles. */
  private track<T>(work: Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) this.session?.ref();
    const settle = () => {
      if (--this.inFlight === 0) this.session?.unref();
    };
    work.then(settle, settle);
    return work;
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    return this.track(this.open(request));
  }

  private open(request: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.connect().request(
          {
            ':method': request.method,
            ':path': request.path,
            ...request.headers,
          },
          { signal: request.signal },
        );
      } catch (error) {
        reject(error);
        return;
      }
      let status = 0;
      let headers: TransportResponse['headers'] = {};
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.setTimeout(request.timeoutMs, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(timeoutError());
      });
      stream.on('response', (incoming) => {
        status = Number(incoming[':status'] ?? 0);
        headers = incoming as TransportResponse['headers'];
      });
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (request.keepBody) chunks.push(chunk);
      });
      stream.on('end', () => resolve({ status, bytes, body: request.keepBody ? Buffer.concat(chunks) : undefined, headers }));
      stream.on('error', reject);
      stream.end(request.payload);
    });
  }

  close(): void {
    this.session?.close();
  }
}
