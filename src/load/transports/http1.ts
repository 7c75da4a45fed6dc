import https from 'node:https';
import { secureContextOf, timeoutError, verifyOptions, type TlsMaterial, type Transport, type TransportRequest, type TransportResponse } from './types.js';

/** HTTP/1.1 over keep-alive connections, one per request in flight: how `ab`, curl and most agents talk. */
export class Http1Transport implements Transport {
  private readonly agent: https.Agent;

  constructor(
    private readonly server: string,
    tls: TlsMaterial,
    maxSockets: number,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets, secureContext: secureContextOf(tls), ...verifyOptions(tls) });
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = https.request(
        `${this.server}${request.path}`,
        {
          method: request.method,
          agent: this.agent,
          signal: request.signal,
          timeout: request.timeoutMs,
          headers: request.headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (request.keepBody) chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, bytes, body: request.keepBody ? Buffer.concat(chunks) : undefined, headers: response.headers }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(timeoutError()));
      outgoing.on('error', reject);
      outgoing.end(request.payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
