import type { SecureContextOptions } from 'node:tls';

export interface TransportRequest {
  method: string;
  path: string;
  headers: Record<string, string | number>;
  payload?: Buffer;
  keepBody: boolean;
  signal?: AbortSignal;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  bytes: number;
  body?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** How requests reach the apiserver: HTTP/1.1 with a connection per request in flight, or one multiplexed HTTP/2 connection. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  close(): void;
}

export type TlsMaterial = Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>;

export function timeoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' });
}
