import https from 'node:https';
import type { Authorization } from '../../core/authorization.js';
import type { Cancellation } from '../../util/cancellation.js';
import { withFreshCredentials } from '../authorization.js';
import { JsonLines, jsonListHead } from './frames.js';
import type { FleetStats } from './stats.js';
import type { InformerTarget } from './types.js';
import type { RelistPolicy } from '../../core/agent-fleet.js';

export interface InformerOptions {
  server: string;
  agent: https.Agent;
  /** A token identity's Authorization header, kept fresh (certificate identities need none). */
  credentials?: Authorization;
  agentType: string;
  userAgent: string;
  policy: RelistPolicy;
  /** Page LISTs with limit=500 and continue tokens, as client-go's pager does. */
  paginate: boolean;
  backoff: { initialMs: number; maxMs: number };
  stats: FleetStats;
  /** The fleet's stop: ends requests in flight and backoffs. */
  cancellation: Cancellation;
}

const headBytes = 4096;

/**
 * One reflector, as in client-go: LIST, then WATCH from the list's resourceVersion;
 * when the watch breaks, back off (jittered, exponential) and LIST again. The relist
 * policy decides what the LIST asks for: quorum (resourceVersion unset: a consistent
 * read), cache (resourceVersion=0: the watch cache), or streaming (a WatchList:
 * sendInitialEvents=true, no LIST at all).
 */
export class Informer {
  private failures = 0;
  /** A LIST (or WatchList) has completed: the next one is a relist. A first LIST that failed and is tried again is not. */
  private listed = false;

  constructor(
    private readonly target: InformerTarget,
    private readonly options: InformerOptions,
  ) {}

  private selectors(query: URLSearchParams): URLSearchParams {
    if (this.target.fieldSelector) query.set('fieldSelector', this.target.fieldSelector);
    if (this.target.labelSelector) query.set('labelSelector', this.target.labelSelector);
    return query;
  }

  /** GET with the body streamed: `onLine` sees each newline-delimited chunk (watch events); the head of the body is returned. */
  private get(query: URLSearchParams, onLine?: (line: string) => void): Promise<{ status: number; head: string; bytes: number }> {
    return withFreshCredentials(this.options.credentials, (authorization) => this.getOnce(query, authorization, onLine));
  }

  private getOnce(
    query: URLSearchParams,
    authorization: string | undefined,
    onLine?: (line: string) => void,
  ): Promise<{ status: number; head: string; bytes: number }> {
    return new Promise((resolve, reject) => {
      const request = https.get(
        `${this.options.server}${this.target.path}?${query}`,
        {
          agent: this.options.agent,
          headers: { accept: 'application/json', 'user-agent': this.options.userAgent, ...(authorization ? { authorization } : {}) },
        },
        (response) => {
          let head = '';
          let bytes = 0;
          const splitter = new JsonLines();
          // An error's Status object is not a watch event.
          const lines = response.statusCode === 200 ? onLine : undefined;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (head.length < headBytes) head += chunk.toString('utf8', 0, Math.min(chunk.length, headBytes));
            if (lines) splitter.push(chunk, lines);
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, head, bytes }));
          response.on('error', reject);
          response.on('aborted', () => reject(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })));
        },
      );
      const unhook = this.options.cancellation.onStop(() => request.destroy(Object.assign(new Error('stopped'), { name: 'AbortError' })));
      request.on('close', unhook);
      request.on('error', reject);
    });
  }

  private async list(relist: boolean): Promise<string> {
    const { stats, agentType, policy, paginate } = this.options;
    const started = performance.now();
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    let bytes = 0;
    do {
      const query = this.selectors(new URLSearchParams());
      // A continue token carries its own snapshot; resourceVersion must not be sent with it.
      if (policy === 'cache' && !continueToken) query.set('resourceVersion', '0');
      if (paginate) query.set('limit', '500');
      if (continueToken) query.set('continue', continueToken);
      stats.listRequested(agentType, query.get('resourceVersion') ?? '');
      stats.requested(agentType, `LIST ${continueToken ? 'continue' : `rv=${query.get('resourceVersion') ?? ''}`}${paginate ? ' limit=500' : ''}`);
      const response = await this.get(query);
      bytes += response.bytes;
      if (response.status !== 200) throw Object.assign(new Error(`LIST ${this.target.resource}: HTTP ${response.status}`), { code: String(response.status) });
      ({ resourceVersion, continueToken } = jsonListHead(response.head));
    } while (continueToken);
    stats.listDone(agentType, relist, performance.now() - started, bytes);
    this.listed = true;
    if (!resourceVersion) throw new Error(`LIST ${this.target.resource}: no resourceVersion in the response`);
    return resourceVersion;
  }

  /** Watches until the stream ends; returns the last resourceVersion seen. */
  private async watch(fromResourceVersion: string | undefined, relist: boolean): Promise<void> {
    const { stats, agentType } = this.options;
    const query = this.selectors(
      new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: String(300 + Math.floor(Math.random() * 300)) }),
    );
    const streaming = fromResourceVersion === undefined;
    const started = performance.now();
    let initialDone = !streaming;
    if (streaming) {
      query.set('sendInitialEvents', 'true');
      query.set('resourceVersionMatch', 'NotOlderThan');
      stats.listRequested(agentType, '');
      stats.requested(agentType, 'WATCHLIST rv=');
    } else {
      query.set('resourceVersion', fromResourceVersion);
      stats.requested(agentType, 'WATCH rv=last-synced');
    }
    let bytes = 0;
    stats.watchOpened(agentType);
    try {
      const response = await this.get(query, (line) => {
        bytes += line.length + 1;
        stats.watchEvent(agentType);
        if (!initialDone && line.includes('"type":"BOOKMARK"') && line.includes('k8s.io/initial-events-end')) {
          initialDone = true;
          stats.listDone(agentType, relist, performance.now() - started, bytes);
          this.listed = true;
        }
      });
      if (response.status !== 200) throw Object.assign(new Error(`WATCH ${this.target.resource}: HTTP ${response.status}`), { code: String(response.status) });
    } finally {
      stats.watchClosed(agentType);
    }
  }

  async run(): Promise<void> {
    const { cancellation, backoff, stats, agentType, policy } = this.options;
    while (!cancellation.stopped) {
      try {
        if (policy === 'streaming') {
          await this.watch(undefined, this.listed);
        } else {
          const resourceVersion = await this.list(this.listed);
          this.failures = 0;
          await this.watch(resourceVersion, this.listed);
        }
        stats.watchBroken(agentType, 'closed');
      } catch (error) {
        if (cancellation.stopped) return;
        stats.watchBroken(agentType, (error as NodeJS.ErrnoException).code ?? 'error');
        this.failures++;
      }
      // client-go's reflector backoff: exponential from 800 ms to 30 s, with full jitter on top.
      const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, this.failures - 1));
      await cancellation.sleep(base * (1 + Math.random()));
    }
  }
}
