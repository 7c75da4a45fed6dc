import https from 'node:https';
import type { Cancellation } from '../../util/cancellation.js';
import { withFreshCredentials, type Authorization } from '../authorization.js';
import { consumeList, consumeWatch, jsonAccept, protobufAccept, type AgentWire, type ListPage, type OpenWatch, type RawResponse } from './wire.js';
import type { WatchFrame } from './frames.js';

/** HTTP/1.1, a keep-alive connection per request in flight: client-go with DISABLE_HTTP2, each watch on its own connection. */
export class Http1Wire implements AgentWire {
  private readonly requests = new Set<{ destroy(): void }>();
  private readonly unhook: () => void;

  constructor(
    private readonly server: string,
    private readonly agent: https.Agent,
    private readonly credentials: Authorization | undefined,
    cancellation: Cancellation,
  ) {
    this.unhook = cancellation.onStop(() => this.close());
  }

  private open(pathAndQuery: string, protobuf: boolean, authorization: string | undefined): Promise<RawResponse> {
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

  list(pathAndQuery: string, protobuf: boolean): Promise<ListPage> {
    return withFreshCredentials(this.credentials, async (authorization) => consumeList(await this.open(pathAndQuery, protobuf, authorization), protobuf));
  }

  watch(pathAndQuery: string, protobuf: boolean, onFrame: (frame: WatchFrame) => void): Promise<OpenWatch> {
    return withFreshCredentials(this.credentials, async (authorization) =>
      consumeWatch(await this.open(pathAndQuery, protobuf, authorization), protobuf, onFrame),
    );
  }

  close(): void {
    this.unhook();
    for (const request of this.requests) request.destroy();
  }
}
