import type { Authorization } from '../../core/authorization.js';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect, createSecureContext, type PeerCertificate, type SecureContext, type SecureContextOptions, TLSSocket } from 'node:tls';

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

/**
 * A TLS connection to `server` with the identity's context, checked as `verifyOptions` says,
 * offering `alpn` (and SNI for a host name, as Node's own http2.connect does).
 *
 * Node checks the server's name on the fully detailed certificate (`getPeerCertificate(true)`):
 * every certificate of the chain made into an object, its issuer looked up, three fingerprints
 * taken, about 0.6 ms a handshake and the largest single cost of a thousand agents reconnecting
 * at once. The name check (Node's own checkServerIdentity) reads only the subject and its
 * alternative names, which the abbreviated certificate carries at a fifth of the cost; OpenSSL
 * has verified the chain before either runs. (getPeerX509Certificate would be cheaper still, but
 * on a client socket Node 20 takes the leaf out of the peer chain when it is called.)
 *
 * With `onTcp`, the TCP socket is dialled first and handed over, so the caller can reset it.
 */
export function connectTls(server: URL, tls: TlsMaterial, alpn: string[], onTcp?: (tcp: Socket, tls: TLSSocket) => void): TLSSocket {
  const host = server.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(server.port || 443);
  // The TCP socket of our own when someone must reset it: a TLS socket has no RST to send.
  const tcp = onTcp ? connectTcp({ host, port }) : undefined;
  const socket: TLSSocket = connect({
    host,
    port,
    ...(tcp ? { socket: tcp } : {}),
    secureContext: secureContextOf(tls),
    ALPNProtocols: alpn,
    ...(isIP(host) ? {} : { servername: host }),
    ...verifyOptions(tls),
  });
  if (tcp && onTcp) onTcp(tcp, socket);
  socket.getPeerCertificate = (() => TLSSocket.prototype.getPeerCertificate.call(socket, false)) as TLSSocket['getPeerCertificate'];
  // Once connected, getPeerCertificate is Node's again for anyone who asks for the details.
  socket.once('secureConnect', () => Reflect.deleteProperty(socket, 'getPeerCertificate'));
  return socket;
}

export function timeoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' });
}
