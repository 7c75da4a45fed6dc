import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import type { ClientStats } from '../metrics/client-stats.js';
import { sleep } from '../util/wait.js';

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

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const verbs: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** "/api/v1/namespaces/x/pods/y?limit=1" -> "pods"; "/apis/apps/v1/deployments" -> "deployments". */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const start = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(start);
  if (rest[0] === 'namespaces' && rest.length >= 3) return rest[2]!;
  return rest[0] ?? 'unknown';
}

function isNamedGet(path: string): boolean {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  return rest[0] === 'namespaces' ? rest.length === 2 || rest.length >= 4 : rest.length >= 2;
}

/**
 * A small HTTP client over the kubeconfig's TLS identity (loaded by
 * @kubernetes/client-node), which sees what typed clients hide: exact status
 * codes, response bytes and latency for every request, recorded in ClientStats.
 */
export class ApiClient {
  private constructor(
    readonly server: string,
    private readonly tls: https.RequestOptions,
    private readonly agent: https.Agent,
    readonly stats: ClientStats,
  ) {}

  static async fromKubeconfig(kubeconfigPath: string, stats: ClientStats, options: { maxSockets?: number } = {}): Promise<ApiClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error(`${kubeconfigPath} has no current cluster`);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    // One TLS context for every connection: building it per connection costs more CPU than the request.
    const secureContext = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
    const agent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256, secureContext });
    return new ApiClient(server, tls, agent, stats);
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const verb = options.verb ?? (method === 'GET' ? (isNamedGet(path) ? 'get' : 'list') : (verbs[method] ?? method.toLowerCase()));
    const resource = options.resource ?? resourceOf(path);
    const payload = options.body === undefined ? undefined : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    const started = performance.now();
    return new Promise<ApiResponse>((resolve, reject) => {
      const request = https.request(
        `${this.server}${path}`,
        {
          method,
          agent: this.agent,
          signal: options.signal,
          timeout: options.timeoutMs ?? 120_000,
          headers: {
            accept: options.accept ?? 'application/json',
            ...(payload ? { 'content-type': options.contentType ?? 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (options.keepBody !== false) chunks.push(chunk);
          });
          response.on('end', () => {
            const durationMs = performance.now() - started;
            const status = response.statusCode ?? 0;
            this.stats.record({ verb, resource, code: String(status), durationMs, bytes });
            resolve({ status, bytes, durationMs, body: options.keepBody === false ? undefined : Buffer.concat(chunks), headers: response.headers });
          });
          response.on('error', (error: NodeJS.ErrnoException) => {
            this.stats.record({ verb, resource, code: error.code ?? 'error', durationMs: performance.now() - started, bytes });
            reject(error);
          });
        },
      );
      request.on('timeout', () => request.destroy(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' })));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name !== 'AbortError') this.stats.record({ verb, resource, code: error.code ?? 'error', durationMs: performance.now() - started, bytes: 0 });
        reject(error);
      });
      request.end(payload);
    });
  }

  /** A request that must succeed, parsed as JSON. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = response.body?.toString('utf8') ?? '';
    if (response.status >= 300) throw new ApiError(response.status, `${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Retries on 429, 5xx and connection errors with jittered exponential backoff,
   * honouring Retry-After, the way client-go does for seeding traffic.
   */
  async withRetry(method: string, path: string, options: RequestOptions & { retries?: number; accept409?: boolean } = {}): Promise<ApiResponse> {
    const retries = options.retries ?? 8;
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const response = await this.request(method, path, options);
        const retriable = response.status === 429 || response.status >= 500;
        if (!retriable || attempt >= retries) return response;
        const header = response.headers['retry-after'];
        if (typeof header === 'string' && /^\d+$/.test(header)) retryAfterMs = Number(header) * 1000;
      } catch (error) {
        if (options.signal?.aborted || attempt >= retries) throw error;
      }
      const backoff = retryAfterMs ?? Math.min(10_000, 100 * 2 ** attempt) * (0.5 + Math.random());
      await sleep(backoff, options.signal);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /** TLS identity for callers that open their own connections (watches, proxies). */
  get tlsOptions(): https.RequestOptions {
    return this.tls;
  }
}
