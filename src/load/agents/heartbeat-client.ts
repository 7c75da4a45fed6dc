/**
 * The kubelet's heartbeat client, through which its Lease and Node status loops talk (kubelet's
 * server.go: a copy of its client config with throttling off and `Timeout` set to the smaller of
 * nodeStatusUpdateFrequency and nodeLeaseDurationSeconds, 10 s by default). That timeout makes
 * client-go (rest.Request) send `?timeout=10s` with each request and bound it, its retries
 * included, by a 10 s deadline. Within it, client-go's withRetry sends a request again after a 429
 * or 5xx that says Retry-After, up to 10 times; a GET also after a connection reset or EOF, one
 * second later. The agent's connection is the same one its informers use (the transport is cached
 * by TLS config and dialer, which the copy shares).
 */
import type { Cancellation } from '../../util/cancellation.js';
import { isProbableEof, maxRequestRetries } from './request-retries.js';
import type { AgentWire, WireRequest, WireResponse } from './wire.js';

/** The kubelet's default: min(nodeStatusUpdateFrequency 10 s, nodeLeaseDurationSeconds 40 s). */
export const heartbeatTimeoutMs = 10_000;

/** Go's time.Duration.String() of a whole number of seconds, as client-go writes the timeout parameter. */
function goDuration(ms: number): string {
  return `${ms / 1000}s`;
}

/** `path` with client-go's timeout parameter, the query's keys in order (url.Values.Encode sorts them). */
export function withTimeoutParameter(path: string, timeoutMs: number): string {
  const [base, query] = path.split('?', 2) as [string, string | undefined];
  const params = new URLSearchParams(query ?? '');
  params.set('timeout', goDuration(timeoutMs));
  params.sort();
  return `${base}?${params.toString()}`;
}

function deadlineExceeded(): Error {
  return Object.assign(new Error('context deadline exceeded'), { code: 'ETIMEDOUT' });
}

export interface HeartbeatClientOptions {
  wire: AgentWire;
  cancellation: Cancellation;
  timeoutMs?: number;
}

/** One request as the heartbeat client sends it: its timeout parameter, its deadline, client-go's retries within it. */
export class HeartbeatClient {
  private readonly timeoutMs: number;

  constructor(private readonly o: HeartbeatClientOptions) {
    this.timeoutMs = o.timeoutMs ?? heartbeatTimeoutMs;
  }

  /** The last answer, or throws the last error (past the deadline: code ETIMEDOUT); `onAttempt` is told of each attempt sent, a retry too. */
  async send(request: WireRequest, onAttempt?: () => void): Promise<WireResponse> {
    // One controller and timer per request: the fleet's own stop closes the wire, which ends the request anyway.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(deadlineExceeded()), this.timeoutMs);
    try {
      return await this.attempts({ ...request, path: withTimeoutParameter(request.path, this.timeoutMs), signal: deadline.signal }, deadline.signal, onAttempt);
    } finally {
      clearTimeout(timer);
    }
  }

  private async attempts(sent: WireRequest, deadline: AbortSignal, onAttempt?: () => void): Promise<WireResponse> {
    for (let attempt = 1; ; attempt++) {
      let waitS: number;
      try {
        onAttempt?.();
        const response = await this.o.wire.send(sent);
        const mayWait = response.status === 429 || response.status >= 500;
        if (!mayWait || response.retryAfterS === undefined || attempt > maxRequestRetries) return response;
        waitS = response.retryAfterS;
      } catch (error) {
        if (deadline.aborted) throw deadline.reason;
        // request.go's isErrRetryableFunc: writes are not idempotent, so only a GET goes again after a cut connection.
        if (this.o.cancellation.stopped || sent.method !== 'GET' || !isProbableEof(error) || attempt > maxRequestRetries) throw error;
        waitS = 1;
      }
      await this.o.cancellation.sleep(waitS * 1000);
      // withRetry.Before: a context already done sends nothing more.
      if (deadline.aborted) throw deadline.reason;
      if (this.o.cancellation.stopped) throw Object.assign(new Error('stopped'), { name: 'AbortError' });
    }
  }
}
