import { resourceOf as apiResourceOf } from '../core/access.js';
import type { Authorization } from '../core/authorization.js';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { ClientStats } from '../metrics/client-stats.js';
import { sleep } from '../util/wait.js';
import { kubeconfigAuthorization, withFreshCredentials } from './authorization.js';
import { Http1Transport } from './transports/http1.js';
import { Http2Transport } from './transports/http2.js';
import type { TlsMaterial, Transport } from './transports/types.js';
import type { ApiClient, ApiResponse, RequestOptions } from '../core/api-client.js';

/** The server and TLS identity of a kubeconfig's current context, read by @kubernetes/client-node. */
export async function kubeconfigIdentity(kubeconfigPath: string, context?: string): Promise<{ server: string; tls: TlsMaterial }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  if (context) {
    if (!kc.getContextObject(context)) throw new Error(`${kubeconfigPath} has no context "${context}"`);
    kc.setCurrentContext(context);
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`${kubeconfigPath} has no current cluster`);
  // Certificates, tokens, exec plugins: @kubernetes/client-node turns each into TLS options or a header.
  const httpsOptions: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(httpsOptions);
  const auth = kubeconfigAuthorization(kc, httpsOptions);
  return {
    server,
    tls: {
      ca: httpsOptions.ca,
      cert: httpsOptions.cert,
      key: httpsOptions.key,
      credentials: auth,
      ...(httpsOptions.rejectUnauthorized === false ? { insecure: true } : {}),
    },
  };
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

/** "/api/v1/namespaces/x/pods/y?limit=1" -> "pods"; "/apis/apps/v1/deployments" -> "deployments"; "unknown" for a non-resource URL. */
export function resourceOf(path: string): string {
  return apiResourceOf(path)?.resource ?? 'unknown';
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
export class KubeApiClient implements ApiClient {
  private constructor(
    readonly server: string,
    private readonly transport: Transport,
    readonly stats: ClientStats,
    private readonly credentials?: Authorization,
  ) {}

  /**
   * `protocol`: http1 (default) opens a keep-alive connection per request in flight,
   * like `ab`; http2 multiplexes every request over one connection, like client-go.
   * Seeding 10,000 pods on 2 cores: http1 384 pods/s, http2 335 pods/s at the same
   * runner CPU per object (bench/README.md), hence the default.
   */
  static async fromKubeconfig(
    kubeconfigPath: string,
    stats: ClientStats,
    options: { maxSockets?: number; protocol?: 'http1' | 'http2'; context?: string } = {},
  ): Promise<KubeApiClient> {
    const { server, tls } = await kubeconfigIdentity(kubeconfigPath, options.context);
    const transport = options.protocol === 'http2' ? new Http2Transport(server, tls) : new Http1Transport(server, tls, options.maxSockets ?? 256);
    return new KubeApiClient(server, transport, stats, tls.credentials);
  }

  /**
   * Labels put on every object this client creates: the run's label, so that what a
   * run made on a cluster it does not own can be found and removed, whichever code made it.
   */
  createLabels?: Record<string, string>;

  private stamp(body: unknown): unknown {
    if (!this.createLabels || !body || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return body;
    const metadata = (body as { metadata?: { labels?: Record<string, string> } }).metadata;
    if (!metadata || typeof metadata !== 'object') return body;
    return { ...body, metadata: { ...metadata, labels: { ...metadata.labels, ...this.createLabels } } };
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const verb = options.verb ?? (method === 'GET' ? (isNamedGet(path) ? 'get' : 'list') : (verbs[method] ?? method.toLowerCase()));
    const resource = options.resource ?? resourceOf(path);
    const body = method === 'POST' ? this.stamp(options.body) : options.body;
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const started = performance.now();
    try {
      const headers = {
        accept: options.accept ?? 'application/json',
        ...(payload ? { 'content-type': options.contentType ?? 'application/json', 'content-length': payload.length } : {}),
      };
      const send = (authorization: string | undefined) =>
        this.transport.send({
          method,
          path,
          payload,
          keepBody: options.keepBody !== false,
          signal: options.signal,
          timeoutMs: options.timeoutMs ?? 120_000,
          headers: authorization ? { ...headers, authorization } : headers,
        });
      // A token that expired under a long run is not the apiserver refusing load: resend it fresh, and count only the answer.
      const response = await withFreshCredentials(this.credentials, send);
      const durationMs = performance.now() - started;
      this.stats.record({ verb, resource, code: String(response.status), durationMs, bytes: response.bytes });
      return { ...response, durationMs };
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        this.stats.record({ verb, resource, code: (error as NodeJS.ErrnoException).code ?? 'error', durationMs: performance.now() - started, bytes: 0 });
      }
      throw error;
    }
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
  async withRetry(method: string, path: string, options: RequestOptions & { retries?: number } = {}): Promise<ApiResponse> {
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
      // Never before the server's Retry-After, but spread over half as much again: an exact
      // "1 s" sends every throttled worker back at the same instant, and the same ones lose.
      const backoff = retryAfterMs !== undefined ? retryAfterMs * (1 + Math.random() / 2) : Math.min(10_000, 100 * 2 ** attempt) * (0.5 + Math.random());
      await sleep(backoff, options.signal);
    }
  }

  close(): void {
    this.transport.close();
  }
}
