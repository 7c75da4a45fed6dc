import { tooLargeResourceVersion } from './frames.js';

/** An apiserver's refusal of a LIST or WATCH, as client-go's apierrors sees it. */
export class ApiStatusError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    /** A 504 whose cause is ResourceVersionTooLarge: the cache has not reached the asked resourceVersion. */
    readonly tooLargeResourceVersion = false,
  ) {
    super(`HTTP ${status}`);
    this.code = String(status);
  }

  static of(status: number, body?: Buffer): ApiStatusError {
    return new ApiStatusError(status, status === 504 && !!body && tooLargeResourceVersion(body));
  }
}

export function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

/** apimachinery's IsProbableEOF (and IsConnectionReset, IsHTTP2ConnectionLost): the connection went, not the server saying no. */
export function isProbableEof(error: unknown): boolean {
  const code = codeOf(error);
  if (['ECONNRESET', 'EPIPE', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_STREAM_CANCEL'].includes(code))
    return true;
  return /socket hang up|closed network connection|before secure TLS connection/i.test((error as Error | undefined)?.message ?? '');
}

/** apimachinery's IsTimeout: a net.Error that timed out (a dial, or Go's "TLS handshake timeout"). */
export function isTimeout(error: unknown): boolean {
  return codeOf(error) === 'ETIMEDOUT';
}

/** rest.Request.Watch's isErrRetryableFunc: a watch that could not open for a cut connection or a timeout is sent again, and past its retries is an empty watch. */
export function isWatchOpenRetriable(error: unknown): boolean {
  return isProbableEof(error) || isTimeout(error);
}

/** The reflector's isExpiredError or isTooLargeResourceVersionError: the resourceVersion asked for cannot be served. */
export function isUnavailableResourceVersion(error: unknown): boolean {
  return error instanceof ApiStatusError && (error.status === 410 || error.tooLargeResourceVersion);
}

/** The reflector's isWatchErrorRetriable: connection refused or 429, where a re-watch (after a backoff) can still resume. */
export function isWatchErrorRetriable(error: unknown): boolean {
  return codeOf(error) === 'ECONNREFUSED' || (error instanceof ApiStatusError && error.status === 429);
}

export interface RetryDeps {
  sleep(ms: number): Promise<void>;
  stopped(): boolean;
}

/** client-go's rest client: 10 retries for a GET. */
export const maxRequestRetries = 10;

/**
 * client-go's request-level retries (rest.Request with withRetry): a 429 or 5xx that
 * carries Retry-After is sent again after it; a connection error the request's own
 * predicate accepts (`retryable`) after one second, client-go's artificial
 * Retry-After. Returns the last response, or throws the last error.
 */
export async function withRequestRetries<R extends { status: number; retryAfterS?: number }>(
  send: () => Promise<R>,
  retryable: (error: unknown) => boolean,
  deps: RetryDeps,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    let waitS: number | undefined;
    try {
      const response = await send();
      const mayWait = response.status === 429 || response.status >= 500;
      if (!mayWait || response.retryAfterS === undefined || attempt > maxRequestRetries) return response;
      waitS = response.retryAfterS;
    } catch (error) {
      if (deps.stopped() || !retryable(error) || attempt > maxRequestRetries) throw error;
      waitS = 1;
    }
    await deps.sleep(waitS * 1000);
    if (deps.stopped()) throw Object.assign(new Error('stopped'), { name: 'AbortError' });
  }
}
