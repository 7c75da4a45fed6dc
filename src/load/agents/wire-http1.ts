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
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response, abort: () => request.destroy() }),
      );
      this.requests.add(request);
      request.on('close', () => this.requests.delete(request));
      request.on('error', reject);
      request.end(open.body);
    });
  }

  close(): void {
    this.unhook();
    for (const request of this.requests) request.destroy();
  }
}
