import https from 'node:https';
import type net from 'node:net';
import { RequestWire, type OpenRequest, type RawResponse, type WireOptions } from './wire.js';

/**
 * Which wire last sent a request over a keep-alive connection: wires of agents with one identity share an
 * https.Agent and so its idle connections, and closing "this agent's" connections must leave the others'.
 */
const lastUser = new WeakMap<net.Socket, Http1Wire>();

/** HTTP/1.1, a keep-alive connection per request in flight: client-go with DISABLE_HTTP2, each watch on its own connection. */
export class Http1Wire extends RequestWire {
  private readonly requests = new Set<{ destroy(): void }>();
  /** The connections this wire's requests went over, busy or idle in the agent's pool (lastUser says whose they are now). */
  private readonly sockets = new Set<net.Socket>();
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
      request.on('socket', (socket) => this.used(socket));
      request.on('error', reject);
      request.end(open.body);
    });
  }

  private used(socket: net.Socket): void {
    lastUser.set(socket, this);
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** This wire's connections, from the most recent of its uses of each. */
  private *own(): Generator<net.Socket> {
    for (const socket of this.sockets) if (lastUser.get(socket) === this) yield socket;
  }

  /**
   * Every request in flight holds a connection of its own, and its idle keep-alive ones go too, as the connrotation
   * dialer's CloseAll closes every connection it dialled: a Lease PUT after it must not reuse one gone dead.
   */
  closeConnections(): void {
    for (const request of this.requests) request.destroy();
    for (const socket of this.own()) socket.destroy();
  }

  /** The keep-alive connections of this wire no request holds. */
  closeIdleConnections(): void {
    const idle = new Set(Object.values(this.agent.freeSockets).flatMap((sockets) => sockets ?? []));
    for (const socket of this.own()) if (idle.has(socket)) socket.destroy();
  }

  close(): void {
    this.unhook();
    this.closeConnections();
  }
}
