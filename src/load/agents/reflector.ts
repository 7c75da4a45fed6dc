import type { Cancellation } from '../../util/cancellation.js';
import type { ClientGoBackoff } from './client-go-backoff.js';
import type { WatchFrame } from './frames.js';
import {
  ApiStatusError,
  codeOf,
  isProbableEof,
  isUnavailableResourceVersion,
  isWatchErrorRetriable,
  isWatchOpenRetriable,
  withRequestRetries,
} from './request-retries.js';
import type { FleetStats } from './stats.js';
import type { InformerTarget } from './types.js';
import type { AgentWire, OpenWatch } from './wire.js';

/** What differs between client-go releases in how a reflector talks to the apiserver. */
export interface ClientModel {
  /** The client-go minor (1.31 -> 31). */
  minor: number;
  /** WatchListClient: sync (and relist) with a WatchList stream, falling back to a LIST; on by default from client-go 1.35. */
  watchList: boolean;
  /** Ask for protobuf (the agent's built-in kinds); CRDs are always JSON. */
  protobuf: boolean;
}

export function clientModel(minor: number, overrides: Partial<Omit<ClientModel, 'minor'>> = {}): ClientModel {
  return { minor, watchList: minor >= 35, protobuf: true, ...overrides };
}

/** What a reflector tells whoever keeps its objects: client-go's Store calls, with the objects as the wire gave them. */
export interface ObjectSink {
  /** A LIST's pages (their bodies) or a WatchList's initial events: the store's Replace. */
  replace(objects: { pages: Buffer[] } | { frames: (Buffer | string)[] }): void;
  /** A watch event past the initial ones: ADDED, MODIFIED or DELETED. */
  event(type: string, raw: Buffer | string): void;
}

export interface ReflectorOptions {
  target: InformerTarget;
  wire: AgentWire;
  model: ClientModel;
  backoff: ClientGoBackoff;
  agentType: string;
  stats: FleetStats;
  cancellation: Cancellation;
  /** Where the objects it lists and watches go (the reflector's store); without it no object is kept or read. */
  objects?: ObjectSink;
  /** A reflector run again after a stop (the kubelet's object reflectors): it relists from the resourceVersion it had synced. */
  resumeFrom?: string;
  now?: () => number;
  random?: () => number;
}

/** One watch stream as the reflector reads it: client-go's handleAnyWatch state. */
interface Stream {
  open: OpenWatch;
  started: number;
  events: number;
  /** Events other than ADDED seen: past any synthetic initial ADDEDs, so their resourceVersion can be kept. */
  besidesAdded: boolean;
  /** Keep each event's resourceVersion from the start (a watch from a known resourceVersion). */
  propagate: boolean;
  /** A WatchList still streaming its initial events, and the resourceVersion its events reached. */
  initial?: { resourceVersion: string; ended: boolean; onEnd: () => void; frames: (Buffer | string)[] };
  errorCode?: number;
}

class VeryShortWatch extends Error {
  readonly code = 'very-short-watch';
}

/**
 * One informer's reflector, as client-go's tools/cache/reflector.go runs it: sync
 * (LIST at resourceVersion=0 paged at 500, or a WatchList), then watch; when a watch
 * ends or is cut, watch again at once from the last resourceVersion seen. It relists
 * only where client-go does: the server says the resourceVersion is gone (410), a
 * watch could not start for another reason than connection-refused or 429, a watch
 * ended in an error event, or a watch lasted under a second with no events. A relist
 * asks for the last resourceVersion synced, unpaged; a 410 or 504 there is followed
 * at once by a quorum LIST (resourceVersion="").
 */
export class Reflector {
  private lastSyncResourceVersion = '';
  private resourceVersionUnavailable = false;
  private paginatedResult = false;
  private synced = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly o: ReflectorOptions) {
    this.now = o.now ?? performance.now.bind(performance);
    this.random = o.random ?? Math.random;
    if (o.resumeFrom !== undefined) {
      this.lastSyncResourceVersion = o.resumeFrom;
      this.synced = true;
    }
  }

  /** The resourceVersion it last synced ("" before its first sync). */
  get lastSynced(): string {
    return this.lastSyncResourceVersion;
  }

  private get stopped(): boolean {
    return this.o.cancellation.stopped;
  }

  private sleep(ms: number): Promise<void> {
    return this.o.cancellation.sleep(ms);
  }

  private protobuf(): boolean {
    return this.o.model.protobuf && this.o.target.json !== true;
  }

  private url(query: URLSearchParams): string {
    const { fieldSelector, labelSelector } = this.o.target;
    if (fieldSelector) query.set('fieldSelector', fieldSelector);
    if (labelSelector) query.set('labelSelector', labelSelector);
    return `${this.o.target.path}?${query}`;
  }

  private timeoutSeconds(): string {
    return String(Math.floor(300 + this.random() * 300));
  }

  /** client-go's Until with the reflector's delayHandler: ListAndWatch, a backoff, again, until stopped. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.listAndWatch();
      } catch (error) {
        if (this.stopped) return;
        this.o.stats.watchBroken(this.o.agentType, codeOf(error));
      }
      if (this.stopped) return;
      await this.sleep(this.o.backoff.step());
    }
  }

  private async listAndWatch(): Promise<void> {
    let stream: Stream | undefined;
    if (this.o.model.watchList) {
      try {
        stream = await this.watchList();
      } catch (error) {
        if (this.stopped) return;
        // Expected against a server whose WatchList gate is off: client-go falls back to a LIST.
        this.o.stats.watchBroken(this.o.agentType, `watch-list-${codeOf(error)}`);
      }
      if (this.stopped) return;
    }
    if (!stream) await this.list();
    await this.watchLoop(stream);
  }

  private relistResourceVersion(): string {
    if (this.resourceVersionUnavailable) return '';
    return this.lastSyncResourceVersion || '0';
  }

  private classOf(resourceVersion: string): string {
    if (resourceVersion === '' || resourceVersion === '0') return resourceVersion;
    return 'last-synced';
  }

  /** The reflector's list(): resourceVersion=0 (the watch cache) paged at 500 first; later the last synced, unpaged; quorum on 410/504. */
  private async list(): Promise<void> {
    const { stats, agentType } = this.o;
    const started = this.now();
    const resourceVersion = this.relistResourceVersion();
    // The pager is made once per list() and keeps its page size for the quorum retry.
    const pageSize = this.paginatedResult ? 500 : resourceVersion !== '' && resourceVersion !== '0' ? 0 : 500;
    let result: { resourceVersion: string; paginated: boolean; bytes: number; pages: Buffer[] };
    try {
      result = await this.pagedList(resourceVersion, pageSize);
    } catch (error) {
      if (!isUnavailableResourceVersion(error)) throw error;
      this.resourceVersionUnavailable = true;
      result = await this.pagedList(this.relistResourceVersion(), pageSize);
    }
    if (resourceVersion === '0' && result.paginated) this.paginatedResult = true;
    this.resourceVersionUnavailable = false;
    this.lastSyncResourceVersion = result.resourceVersion;
    this.o.objects?.replace({ pages: result.pages });
    stats.listDone(agentType, this.synced, this.now() - started, result.bytes);
    this.synced = true;
  }

  /** client-go's pager: pages of `pageSize` (0: one request) on continue tokens; an expired continue token falls back to one full LIST. */
  private async pagedList(resourceVersion: string, pageSize: number): Promise<{ resourceVersion: string; paginated: boolean; bytes: number; pages: Buffer[] }> {
    let continueToken: string | undefined;
    let bytes = 0;
    let pages: Buffer[] = [];
    for (let limit = pageSize; ;) {
      const query = new URLSearchParams();
      if (!continueToken && resourceVersion !== '') query.set('resourceVersion', resourceVersion);
      if (limit > 0) query.set('limit', String(limit));
      if (continueToken) query.set('continue', continueToken);
      this.o.stats.listRequested(this.o.agentType, continueToken ? 'continue' : this.classOf(resourceVersion));
      this.o.stats.requested(
        this.o.agentType,
        `LIST ${continueToken ? 'continue' : `rv=${this.classOf(resourceVersion)}`}${limit > 0 ? ` limit=${limit}` : ''}`,
      );
      const keepBody = this.o.objects !== undefined;
      const page = await withRequestRetries(() => this.o.wire.list(this.url(query), this.protobuf(), keepBody), isProbableEof, this.retryDeps());
      bytes += page.bytes;
      if (page.status === 410 && continueToken) {
        continueToken = undefined;
        limit = 0;
        pages = [];
        continue;
      }
      if (page.status !== 200) throw ApiStatusError.of(page.status, page.errorBody);
      pages.push(page.body ?? Buffer.alloc(0));
      continueToken = page.head.continueToken;
      if (!continueToken) {
        if (page.head.resourceVersion === undefined) throw new Error(`LIST ${this.o.target.resource}: no resourceVersion in the response`);
        return { resourceVersion: page.head.resourceVersion, paginated: pages.length > 1, bytes, pages: keepBody ? pages : [] };
      }
    }
  }

  private retryDeps() {
    return { sleep: (ms: number) => this.sleep(ms), stopped: () => this.stopped };
  }

  /** Opens a watch, with the rest client's retries; an error status throws. Retries used up on a cut connection give an empty watch, as client-go's do. */
  private async openWatch(query: URLSearchParams, stream: Omit<Stream, 'open'>): Promise<Stream> {
    const onFrame = (frame: WatchFrame) => this.onFrame(opened, frame);
    const opened = { ...stream } as Stream;
    // client-go starts a watch's clock before it sends the request: the rest client's retries count
    // toward its length, so an empty watch after ten of them is not "very short" and is re-watched.
    const started = this.now();
    let open: OpenWatch;
    try {
      open = await withRequestRetries(() => this.o.wire.watch(this.url(query), this.protobuf(), onFrame), isWatchOpenRetriable, this.retryDeps());
    } catch (error) {
      if (this.stopped || !isWatchOpenRetriable(error)) throw error;
      open = { status: 200, ended: Promise.resolve('closed'), stop: () => undefined };
    }
    if (open.status !== 200) throw ApiStatusError.of(open.status, open.errorBody);
    opened.open = open;
    opened.started = started;
    this.o.stats.watchOpened(this.o.agentType);
    // A reflector stopped on its own (an object no pod references any more) ends its watch, as client-go's stopCh does.
    const unhook = this.o.cancellation.onStop(() => open.stop());
    void open.ended.then(() => {
      unhook();
      this.o.stats.watchClosed(this.o.agentType);
    });
    return opened;
  }

  private onFrame(stream: Stream, frame: WatchFrame): void {
    this.o.stats.watchEvent(this.o.agentType);
    if (frame.type === 'ERROR') {
      stream.errorCode = frame.code ?? 500;
      stream.open.stop();
      return;
    }
    stream.events++;
    if (frame.type !== 'ADDED') stream.besidesAdded = true;
    const resourceVersion = frame.resourceVersion ?? '';
    const initial = stream.initial;
    const isObjectEvent = frame.type === 'ADDED' || frame.type === 'MODIFIED' || frame.type === 'DELETED';
    if (initial && !initial.ended) {
      if (stream.besidesAdded) initial.resourceVersion = resourceVersion;
      if (this.o.objects && frame.raw !== undefined && frame.type === 'ADDED') initial.frames.push(frame.raw);
      if (frame.initialEventsEnd) {
        initial.ended = true;
        // Here, not once the reflector has seen the end: events later in the same chunk follow at once.
        this.o.objects?.replace({ frames: initial.frames });
        initial.frames = [];
        initial.onEnd();
      }
      return;
    }
    if (stream.propagate || stream.besidesAdded) this.lastSyncResourceVersion = resourceVersion;
    if (this.o.objects && frame.raw !== undefined && isObjectEvent) this.o.objects.event(frame.type, frame.raw);
  }

  /** The reflector's watchList(): a WatchList from the last synced resourceVersion (or "" once it is unavailable) until its initial-events-end bookmark. */
  private async watchList(): Promise<Stream | undefined> {
    const { stats, agentType } = this.o;
    const started = this.now();
    while (!this.stopped) {
      const resourceVersion = this.resourceVersionUnavailable ? '' : this.lastSyncResourceVersion;
      const query = new URLSearchParams({ allowWatchBookmarks: 'true', sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', watch: 'true' });
      if (resourceVersion) query.set('resourceVersion', resourceVersion);
      query.set('timeoutSeconds', this.timeoutSeconds());
      stats.listRequested(agentType, this.classOf(resourceVersion));
      stats.requested(agentType, `WATCHLIST rv=${this.classOf(resourceVersion)}`);
      let bookmark = () => undefined as void;
      const reached = new Promise<void>((resolve) => (bookmark = resolve));
      let stream: Stream;
      try {
        stream = await this.openWatch(query, {
          started: 0,
          events: 0,
          besidesAdded: false,
          propagate: false,
          initial: { resourceVersion: '', ended: false, onEnd: bookmark, frames: [] },
        });
      } catch (error) {
        if (await this.retriedWithSideEffects(error)) continue;
        throw error;
      }
      await Promise.race([reached, stream.open.ended]);
      if (stream.initial?.ended) return this.watchListSynced(stream, started);
      stream.open.stop();
      const error = this.streamError(stream);
      if (error && (await this.retriedWithSideEffects(error))) continue;
      if (error) throw error;
    }
    return undefined;
  }

  private watchListSynced(stream: Stream, started: number): Stream {
    this.resourceVersionUnavailable = false;
    this.lastSyncResourceVersion = stream.initial!.resourceVersion;
    this.o.stats.listDone(this.o.agentType, this.synced, this.now() - started, 0);
    this.synced = true;
    // The same stream goes on as the watch: from here every event's resourceVersion is kept.
    stream.propagate = true;
    stream.started = this.now();
    stream.events = 0;
    return stream;
  }

  /** watchList's isErrorRetriableWithSideEffectsFn: back off on refused or 429; on an unavailable resourceVersion, stream from "" at once. */
  private async retriedWithSideEffects(error: unknown): Promise<boolean> {
    if (isWatchErrorRetriable(error)) {
      await this.sleep(this.o.backoff.step());
      return true;
    }
    if (isUnavailableResourceVersion(error)) {
      this.resourceVersionUnavailable = true;
      return true;
    }
    return false;
  }

  /** What ended a stream: an error event, a watch under a second with no events, or nothing (it closed, or was cut). */
  private streamError(stream: Stream): Error | undefined {
    if (stream.errorCode !== undefined) return new ApiStatusError(stream.errorCode);
    if (this.now() - stream.started < 1000 && stream.events === 0) return new VeryShortWatch('very short watch');
    return undefined;
  }

  /** The reflector's watch(): re-watch from the last resourceVersion until an error sends it back to ListAndWatch. */
  private async watchLoop(first: Stream | undefined): Promise<void> {
    const { stats, agentType } = this.o;
    let stream = first;
    while (!this.stopped) {
      if (!stream) {
        const resourceVersion = this.lastSyncResourceVersion;
        const query = new URLSearchParams({ allowWatchBookmarks: 'true', resourceVersion, timeoutSeconds: this.timeoutSeconds(), watch: 'true' });
        stats.requested(agentType, `WATCH rv=${this.classOf(resourceVersion)}`);
        try {
          stream = await this.openWatch(query, { started: 0, events: 0, besidesAdded: false, propagate: resourceVersion !== '' && resourceVersion !== '0' });
        } catch (error) {
          if (this.stopped) return;
          if (!isWatchErrorRetriable(error)) throw error;
          stats.watchBroken(agentType, codeOf(error));
          await this.sleep(this.o.backoff.step());
          continue;
        }
      }
      await stream.open.ended;
      const error = this.streamError(stream);
      stream = undefined;
      if (this.stopped) return;
      stats.watchBroken(agentType, error ? codeOf(error) : 'closed');
      if (error instanceof ApiStatusError && error.status === 429) {
        await this.sleep(this.o.backoff.step());
        continue;
      }
      // Expired, an internal error, a very short watch: back to ListAndWatch, after its backoff.
      if (error) return;
    }
  }
}
