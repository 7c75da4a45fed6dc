import type { Authorization } from '../authorization.js';
import { checkServerIdentity, createSecureContext, type PeerCertificate, type SecureContext, type SecureContextOptions } from 'node:tls';

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

/**
 * How to reach and prove who we are to an apiserver, from a kubeconfig: TLS material,
 * and for token or exec-plugin identities the Authorization header, kept fresh.
 */
export type TlsMaterial = Pick<SecureContextOptions, 'ca' | 'cert' | 'key'> & {
  credentials?: Authorization;
  /** insecure-skip-tls-verify in the kubeconfig. */
  insecure?: boolean;
  /** The name the serving certificate is checked against when connecting through a proxy. */
  serverName?: string;
};

const secureContexts = new WeakMap<TlsMaterial, SecureContext>();

/**
 * One TLS context per identity, shared by every connection and transport made with it. Given
 * `ca`, `cert` and `key` instead, Node parses them and builds a certificate store for each
 * connection: with a thousand HTTP/2 agents reconnecting at once that was most of the runner's
 * CPU in a storm, and for a LIST it costs more than the request.
 */
export function secureContextOf(tls: TlsMaterial): SecureContext {
  let context = secureContexts.get(tls);
  if (!context) {
    context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
    secureContexts.set(tls, context);
  }
  return context;
}

/** TLS options that check the server's certificate against `serverName` (the real apiserver) rather than the address dialled. */
export function verifyOptions(tls: TlsMaterial): {
  rejectUnauthorized: boolean;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  const serverName = tls.serverName;
  return {
    rejectUnauthorized: !tls.insecure,
    ...(serverName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert) } : {}),
  };
}

export function timeoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' });
}
