import https from 'node:https';
import { RequestWire, type OpenRequest, type RawResponse, type WireOptions } from './wire.js';

/** HTTP/1.1, a keep-alive connection per request in flight: client-go with DISABLE_HTTP2, each watch on its own connection. */
export class Http1Wire extends RequestWire {
  private readonly requests = new Set<{ destroy(): void }>();
  private readonly unhook: () => void;

  constructor(
    private readonly server: string,
    private readonly agent: https.Agent,
    options: WireOptions,
  ) {
    super(options);
    this.unhook = options.cancellation.onStop(() => this.close());
  }

  protected open(open: OpenRequest, authorization: string | undefined): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers = {
        accept: open.accept,
        'user-agent': open.userAgent,
        ...(open.contentType ? { 'content-type': open.contentType } : {}),
        ...(authorization ? { authorization } : {}),
      };
      const request = https.request(`${this.server}${open.path}`, { method: open.method, agent: this.agent, headers }, (response) =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: response,
          abort: () => request.destroy(),
          cut: () => !response.complete,
        }),
      );
      const signal = open.signal;
      if (signal) {
        const cancel = () => request.destroy(signal.reason as Error);
        if (signal.aborted) cancel();
        else signal.addEventListener('abort', cancel, { once: true });
        request.on('response', () => signal.removeEventListener('abort', cancel));
      }
      this.requests.add(request);
      request.on('close', () => this.requests.delete(request));
      request.on('error', reject);
      request.end(open.body);
    });
  }

  /** Every request in flight holds a connection of its own; idle keep-alive ones carry nothing to cut. */
  closeConnections(): void {
    for (const request of this.requests) request.destroy();
  }

  /** The keep-alive connections no request holds. */
  closeIdleConnections(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  close(): void {
    this.unhook();
    this.closeConnections();
  }
}
