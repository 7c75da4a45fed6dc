import https from 'node:https';
import type { Cancellation } from '../../util/cancellation.js';
import type { Authorization } from '../authorization.js';
import { jsonAccept, protobufAccept, RequestWire, type RawResponse } from './wire.js';

/** HTTP/1.1, a keep-alive connection per request in flight: client-go with DISABLE_HTTP2, each watch on its own connection. */
export class Http1Wire extends RequestWire {
  private readonly requests = new Set<{ destroy(): void }>();
  private readonly unhook: () => void;

  constructor(
    private readonly server: string,
    private readonly agent: https.Agent,
    credentials: Authorization | undefined,
    cancellation: Cancellation,
  ) {
    super(credentials);
    this.unhook = cancellation.onStop(() => this.close());
  }

  protected open(pathAndQuery: string, protobuf: boolean, authorization: string | undefined): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const request = https.get(
        `${this.server}${pathAndQuery}`,
        { agent: this.agent, headers: { accept: protobuf ? protobufAccept : jsonAccept, ...(authorization ? { authorization } : {}) } },
        (response) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response, abort: () => request.destroy() }),
      );
      this.requests.add(request);
      request.on('close', () => this.requests.delete(request));
      request.on('error', reject);
    });
  }

  close(): void {
    this.unhook();
    for (const request of this.requests) request.destroy();
  }
}
