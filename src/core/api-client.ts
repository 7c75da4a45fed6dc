/** A response as the runner's client saw it: status, size and latency of every request. */
export interface ApiResponse {
  status: number;
  bytes: number;
  durationMs: number;
  body?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  /** What to count the request as; defaults from the method and path. */
  verb?: string;
  resource?: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** False: drain and drop the body (LIST floods must not hold responses in the runner). */
  keepBody?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * The Kubernetes API as faults, seeding and profiling use it: every request counted in the
 * cpchaos_client_* series by verb, resource and code (load/client.ts implements it).
 */
export interface ApiClient {
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** A request that must succeed, parsed as JSON. */
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Retries on 429, 5xx and connection errors with backoff, honouring Retry-After. */
  withRetry(method: string, path: string, options?: RequestOptions & { retries?: number }): Promise<ApiResponse>;
  close(): void;
}
