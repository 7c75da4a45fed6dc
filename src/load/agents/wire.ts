import type { Readable } from 'node:stream';
import type { Authorization } from '../../core/authorization.js';
import { withFreshCredentials } from '../authorization.js';
import type { Cancellation } from '../../util/cancellation.js';
import {
  JsonLines,
  LengthDelimitedFrames,
  jsonListHead,
  jsonWatchFrame,
  protobufListHead,
  protobufWatchFrame,
  type ListHead,
  type WatchFrame,
} from './frames.js';

export const protobufAccept = 'application/vnd.kubernetes.protobuf, application/json';
export const jsonAccept = 'application/json';

/** What a LIST page's response said: its status, the list's head, and for an error its (small) body. */
export interface ListPage {
  status: number;
  head: ListHead;
  bytes: number;
  errorBody?: Buffer;
  retryAfterS?: number;
  /** The whole body, when asked for: the items, for whoever reads objects. */
  body?: Buffer;
}

/** A watch whose response has arrived: an error (status and body), or a stream whose frames go to `onFrame` until `ended`. */
export interface OpenWatch {
  status: number;
  errorBody?: Buffer;
  retryAfterS?: number;
  /** Resolves when the stream ends: closed by the server, or cut (client-go's watcher treats a reset as an EOF); 'undecodable' for bytes it cannot read. */
  ended: Promise<'closed' | 'undecodable'>;
  /** Ends the stream from our side (a reflector that stops watching it). */
  stop(): void;
}

/**
 * How one agent's requests reach the apiserver. A connection error rejects with
 * its errno code (ECONNREFUSED, ECONNRESET, ...), as Go's net errors tell client-go.
 */
export interface AgentWire {
  /** `keepBody`: the page's whole body comes back (else only its head is kept). */
  list(pathAndQuery: string, protobuf: boolean, keepBody?: boolean): Promise<ListPage>;
  /** One request read whole: a GET of one object, a write. */
  send(request: WireRequest): Promise<WireResponse>;
  watch(pathAndQuery: string, protobuf: boolean, onFrame: (frame: WatchFrame) => void): Promise<OpenWatch>;
  /**
   * Closes the agent's connections, as the kubelet's closeAllConns (client-go's connrotation dialer) does after
   * repeated heartbeat failures: every request on them ends (watches as if cut), and the next request dials anew.
   */
  closeConnections(): void;
  /**
   * Closes the agent's idle connections, as Go's Transport.CloseIdleConnections does: one carrying a request (a watch)
   * stays. What the kubelet does over HTTP/2 after repeated heartbeat failures (utilnet.CloseIdleConnectionsFor).
   */
  closeIdleConnections(): void;
  close(): void;
}

export interface WireRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  protobuf: boolean;
  body?: string | Buffer;
  contentType?: string;
  /** A request context's deadline: once aborted, the request is cancelled (its stream reset) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface WireResponse {
  status: number;
  body: Buffer;
  retryAfterS?: number;
}

/** What a wire opens: the request line, the accept header's choice, and a body to send. */
export interface OpenRequest {
  method: string;
  userAgent: string;
  path: string;
  accept: string;
  body?: string | Buffer;
  contentType?: string;
  signal?: AbortSignal;
}

/** A response as both HTTP versions give it: status, headers, the body stream, and how to end it early. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  abort(): void;
  /**
   * Whether the body, once ended, was cut short: its stream torn down before the server finished it. Node's
   * http2 then ends the stream as if whole (tried: a session destroyed on either side mid-body ends it with
   * what came), where Go's client sees an error.
   */
  cut(): boolean;
}

const headBytes = 4096;

function retryAfter(headers: RawResponse['headers']): number | undefined {
  const value = headers['retry-after'];
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

function cutShort(): Error {
  return Object.assign(new Error('response body cut short'), { code: 'ECONNRESET' });
}

/**
 * Calls `ended` once the body ended, or `closed` if it closed without ending (it was cut), also when that happened
 * before: Node emits each once, and a short answer over HTTP/2 can end, and be destroyed, before whoever reads it is
 * handed the response. An empty body ends unread.
 */
function onBodyDone(body: Readable, ended: () => void, closed: () => void): void {
  if (body.readableEnded) return ended();
  if (body.destroyed) return closed();
  let didEnd = false;
  body.on('end', () => {
    didEnd = true;
    ended();
  });
  body.on('close', () => {
    if (!didEnd) closed();
  });
}

/**
 * Calls `whole` once the body ended whole; rejects, as Go's read of it fails (an unexpected EOF, a lost connection), if it
 * was cut short: ended as if whole over a stream torn down (`cut`), or closed without an end or an error.
 */
function onWholeBody(response: RawResponse, whole: () => void, reject: (error: Error) => void): void {
  response.body.on('error', reject);
  onBodyDone(
    response.body,
    () => (response.cut() ? reject(cutShort()) : whole()),
    () => reject(cutShort()),
  );
}

/** The whole body; a body cut short rejects. */
function readAll(response: RawResponse): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.body.on('data', (chunk: Buffer) => chunks.push(chunk));
    onWholeBody(response, () => resolve(Buffer.concat(chunks)), reject);
  });
}

/** Drains a LIST response, keeping only its head (the list metadata comes before the items), or with `keepBody` all of it. */
export function consumeList(response: RawResponse, protobuf: boolean, keepBody = false): Promise<ListPage> {
  if (response.status !== 200)
    return readAll(response).then((errorBody) => ({
      status: response.status,
      head: {},
      bytes: errorBody.length,
      errorBody,
      retryAfterS: retryAfter(response.headers),
    }));
  const isProtobuf = protobuf && String(response.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    const whole: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    response.body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (keepBody) whole.push(chunk);
      if (kept < headBytes) {
        head.push(chunk.subarray(0, headBytes - kept));
        kept += Math.min(chunk.length, headBytes - kept);
      }
    });
    // A page cut short is an error to client-go (its decoder hits an unexpected EOF), even where its head came whole.
    onWholeBody(
      response,
      () => {
        const buf = Buffer.concat(head);
        resolve({
          status: 200,
          bytes,
          head: isProtobuf ? protobufListHead(buf) : jsonListHead(buf.toString('utf8')),
          ...(keepBody ? { body: Buffer.concat(whole) } : {}),
        });
      },
      reject,
    );
  });
}

/** Turns a watch response into frames for `onFrame`; the stream's end (or cut) resolves `ended`. */
export async function consumeWatch(response: RawResponse, protobuf: boolean, onFrame: (frame: WatchFrame) => void): Promise<OpenWatch> {
  if (response.status !== 200) {
    const errorBody = await readAll(response).catch(() => Buffer.alloc(0));
    return { status: response.status, errorBody, retryAfterS: retryAfter(response.headers), ended: Promise.resolve('closed'), stop: () => undefined };
  }
  const isProtobuf = protobuf && String(response.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
  const frames = new LengthDelimitedFrames();
  const lines = new JsonLines();
  let undecodable = false;
  const ended = new Promise<'closed' | 'undecodable'>((resolve) => {
    const done = () => resolve(undecodable ? 'undecodable' : 'closed');
    response.body.on('data', (chunk: Buffer) => {
      try {
        if (isProtobuf) frames.push(chunk, (frame) => onFrame(protobufWatchFrame(frame)));
        else lines.push(chunk, (line) => onFrame(jsonWatchFrame(line)));
      } catch {
        undecodable = true;
        response.abort();
      }
    });
    response.body.on('error', done);
    onBodyDone(response.body, done, done);
  });
  return { status: 200, ended, stop: () => response.abort() };
}

/** What a request of an agent that stopped fails with. */
export function agentStopped(): Error {
  return Object.assign(new Error('the agent stopped'), { name: 'AbortError' });
}

/** What a request over a connection the agent closed itself (connrotation's CloseAll) fails with, as Go's net says it. */
export function closedConnection(): Error {
  return Object.assign(new Error('use of closed network connection'), { code: 'ECONNRESET' });
}

/** What every agent wire is made with. */
export interface WireOptions {
  /** A token identity's Authorization header, kept fresh (certificate identities need none). */
  credentials?: Authorization;
  /** The fleet's stop: closes the wire. */
  cancellation: Cancellation;
  /** As client-go sends it ("kubelet/v1.37 (linux/amd64) ..."), so the apiserver's logs tell the agents apart. */
  userAgent?: string;
}

/** What both HTTP versions share: a GET opened with the current credentials (sent again fresh on a 401), read as a LIST or a watch. */
export abstract class RequestWire implements AgentWire {
  private readonly credentials: Authorization | undefined;
  private readonly userAgent: string;

  constructor(options: WireOptions) {
    this.credentials = options.credentials;
    this.userAgent = options.userAgent ?? 'cpchaos';
  }

  protected abstract open(request: OpenRequest, authorization: string | undefined): Promise<RawResponse>;
  abstract closeConnections(): void;
  abstract closeIdleConnections(): void;
  abstract close(): void;

  private get(path: string, protobuf: boolean): OpenRequest {
    return { method: 'GET', userAgent: this.userAgent, path, accept: protobuf ? protobufAccept : jsonAccept };
  }

  list(pathAndQuery: string, protobuf: boolean, keepBody = false): Promise<ListPage> {
    return withFreshCredentials(this.credentials, async (authorization) =>
      consumeList(await this.open(this.get(pathAndQuery, protobuf), authorization), protobuf, keepBody),
    );
  }

  watch(pathAndQuery: string, protobuf: boolean, onFrame: (frame: WatchFrame) => void): Promise<OpenWatch> {
    return withFreshCredentials(this.credentials, async (authorization) =>
      consumeWatch(await this.open(this.get(pathAndQuery, protobuf), authorization), protobuf, onFrame),
    );
  }

  send(request: WireRequest): Promise<WireResponse> {
    const { method, path, protobuf, body, contentType, signal } = request;
    const open: OpenRequest = {
      method,
      userAgent: this.userAgent,
      path,
      accept: protobuf ? protobufAccept : jsonAccept,
      ...(body !== undefined ? { body, contentType } : {}),
      ...(signal ? { signal } : {}),
    };
    return withFreshCredentials(this.credentials, async (authorization) => {
      const response = await this.open(open, authorization);
      // The deadline covers reading the body too, as a Go request context does.
      const cut = () => response.abort();
      signal?.addEventListener('abort', cut, { once: true });
      try {
        const whole = await readAll(response).catch((error: unknown) => {
          throw signal?.aborted ? signal.reason : error;
        });
        return { status: response.status, body: whole, retryAfterS: retryAfter(response.headers) };
      } finally {
        signal?.removeEventListener('abort', cut);
      }
    });
  }
}
