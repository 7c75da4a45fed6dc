import type { TLSSocket } from 'node:tls';

/** client-go's dialer gives up on a TCP connection after this long, and its transport on a TLS handshake after this (k8s.io/client-go/transport/cache.go). */
const dialTimeoutMs = 30_000;
export const tlsHandshakeTimeoutMs = 10_000;

/**
 * Holds a dial to Go's deadlines: 30 s for the TCP connection, then `handshakeTimeoutMs` for the TLS handshake, each failing
 * with Go's message. A handshake that never ends would otherwise hold its request for ever, where client-go's fails it and
 * the apiserver counts the handshake failed. Cleared once the handshake is done or the socket closes.
 */
export function dialDeadlines(socket: TLSSocket, handshakeTimeoutMs = tlsHandshakeTimeoutMs): void {
  const giveUp = (message: string) => () => socket.destroy(Object.assign(new Error(message), { code: 'ETIMEDOUT' }));
  let timer = setTimeout(giveUp('dial tcp: i/o timeout'), dialTimeoutMs);
  socket.once('connect', () => {
    clearTimeout(timer);
    timer = setTimeout(giveUp('net/http: TLS handshake timeout'), handshakeTimeoutMs);
  });
  const clear = () => clearTimeout(timer);
  socket.once('secureConnect', clear);
  socket.once('close', clear);
}
