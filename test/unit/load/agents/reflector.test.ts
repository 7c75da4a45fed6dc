import test from 'ava';
import { ClientGoBackoff } from '../../../../src/load/agents/client-go-backoff.js';
import type { WatchFrame } from '../../../../src/load/agents/frames.js';
import { clientModel, Reflector, type ObjectSink } from '../../../../src/load/agents/reflector.js';
import { FleetStats } from '../../../../src/load/agents/stats.js';
import type { AgentWire, ListPage, OpenWatch } from '../../../../src/load/agents/wire.js';
import { Cancellation } from '../../../../src/util/cancellation.js';

/** What the apiserver answers, one step per request: a list page, a watch (its frames, how long it lasts, how it ends), or a connection error. */
type Step =
  | { list: { rv: string; continueToken?: string; body?: string } }
  | { status: number; retryAfterS?: number; body?: string }
  | { watch: { frames: Partial<WatchFrame>[]; lastsMs?: number } }
  | { error: string };

/** A wire that answers from a script and writes down what the reflector asked, as the apiserver's audit log would. */
class ScriptedWire implements AgentWire {
  readonly sent: string[] = [];
  clock = 0;

  constructor(
    private readonly script: Step[],
    private readonly cancellation: Cancellation,
  ) {}

  private next(pathAndQuery: string): Step | undefined {
    const query = new URLSearchParams(pathAndQuery.split('?')[1]);
    const verb = query.get('watch') ? (query.get('sendInitialEvents') ? 'WATCHLIST' : 'WATCH') : 'LIST';
    const parts = [verb, `rv=${query.get('resourceVersion') ?? ''}`];
    if (query.get('limit')) parts.push(`limit=${query.get('limit')}`);
    if (query.get('continue')) parts.push(`continue=${query.get('continue')}`);
    this.sent.push(parts.join(' '));
    const step = this.script.shift();
    // The script is over: stop the reflector where it stands.
    if (!step) this.cancellation.stop();
    return step;
  }

  send(): never {
    throw new Error('a reflector only lists and watches');
  }

  list(pathAndQuery: string, _protobuf: boolean, keepBody = false): Promise<ListPage> {
    const step = this.next(pathAndQuery);
    if (!step) return Promise.reject(Object.assign(new Error('stopped'), { name: 'AbortError' }));
    if ('error' in step) return Promise.reject(Object.assign(new Error(step.error), { code: step.error }));
    if ('list' in step)
      return Promise.resolve({
        status: 200,
        bytes: 100,
        head: { resourceVersion: step.list.rv, continueToken: step.list.continueToken },
        ...(keepBody ? { body: Buffer.from(step.list.body ?? '') } : {}),
      });
    if ('status' in step)
      return Promise.resolve({ status: step.status, bytes: 10, head: {}, errorBody: Buffer.from(step.body ?? ''), retryAfterS: step.retryAfterS });
    throw new Error(`a LIST was answered with ${JSON.stringify(step)}`);
  }

  watch(pathAndQuery: string, _protobuf: boolean, onFrame: (frame: WatchFrame) => void): Promise<OpenWatch> {
    const step = this.next(pathAndQuery);
    if (!step) return Promise.resolve({ status: 200, ended: Promise.resolve('closed'), stop: () => undefined });
    if ('error' in step) return Promise.reject(Object.assign(new Error(step.error), { code: step.error }));
    if ('status' in step)
      return Promise.resolve({
        status: step.status,
        errorBody: Buffer.from(step.body ?? ''),
        retryAfterS: step.retryAfterS,
        ended: Promise.resolve('closed'),
        stop: () => undefined,
      });
    if (!('watch' in step)) throw new Error(`a WATCH was answered with ${JSON.stringify(step)}`);
    let stopped = false;
    // The frames come in one turn; the stream ends in a later one, as a real stream outlives its first chunk.
    const ended = new Promise<'closed'>((resolve) =>
      setImmediate(() => {
        for (const frame of step.watch.frames) if (!stopped) onFrame({ type: 'ADDED', initialEventsEnd: false, bytes: 10, ...frame });
        setImmediate(() => {
          this.clock += step.watch.lastsMs ?? 60_000;
          resolve('closed');
        });
      }),
    );
    return Promise.resolve({ status: 200, ended, stop: () => (stopped = true) });
  }

  closeConnections(): void {}
  closeIdleConnections(): void {}
  close(): void {}
}

/** Runs one reflector of a `minor` client against the script; returns the requests and the waits between them. */
async function replay(minor: number, script: Step[], objects?: ObjectSink): Promise<{ sent: string[]; sleeps: number[]; stats: FleetStats }> {
  const cancellation = new Cancellation();
  const wire = new ScriptedWire(script, cancellation);
  const sleeps: number[] = [];
  const original = cancellation.sleep.bind(cancellation);
  cancellation.sleep = (ms: number) => {
    sleeps.push(Math.round(ms));
    wire.clock += ms;
    return original(0);
  };
  const stats = new FleetStats();
  const reflector = new Reflector({
    target: { resource: 'pods', path: '/api/v1/pods', fieldSelector: 'spec.nodeName=n1' },
    wire,
    model: clientModel(minor),
    backoff: new ClientGoBackoff(
      800,
      30_000,
      120_000,
      () => wire.clock,
      () => 0,
    ),
    agentType: 'kubelet',
    stats,
    cancellation,
    now: () => wire.clock,
    random: () => 0,
    ...(objects ? { objects } : {}),
  });
  await reflector.run();
  return { sent: wire.sent, sleeps, stats };
}

const listed = (rv: string): Step => ({ list: { rv } });
const watching = (...rvs: string[]): Step => ({ watch: { frames: rvs.map((rv) => ({ type: 'MODIFIED', resourceVersion: rv })) } });
const bookmarked = (rv: string): Step => ({
  watch: {
    frames: [
      { type: 'ADDED', resourceVersion: '5' },
      { type: 'BOOKMARK', resourceVersion: rv, initialEventsEnd: true },
    ],
  },
});

test('1.33: LIST at resourceVersion=0 paged at 500, then WATCH from the list; a closed watch is watched again at once from its last event', async (t) => {
  const { sent, sleeps } = await replay(33, [listed('10'), watching('11', '12'), watching('13')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=12', 'WATCH rv=13']);
  t.deepEqual(sleeps, [], 'no backoff between re-watches');
});

test('1.33: a reset is a re-watch from the last resourceVersion, not a relist; a re-watch whose connection is reset is sent again after 1 s', async (t) => {
  // A reset mid-stream ends it as a close does (client-go's IsProbableEOF); one at the re-watch is the rest client's to retry.
  const { sent, sleeps, stats } = await replay(33, [listed('10'), watching('11'), { error: 'ECONNRESET' }, watching('12')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=11', 'WATCH rv=11', 'WATCH rv=12']);
  t.deepEqual(sleeps, [1000]);
  t.is(stats.byType.get('kubelet')?.relists, 0);
});

test('a re-watch cut ten times more (an apiserver down behind a load balancer) is an empty watch over a second long: watched again, not relisted', async (t) => {
  const cut = { error: 'ECONNRESET' };
  const { sent, sleeps, stats } = await replay(33, [listed('10'), watching('11'), ...Array<Step>(11).fill(cut), watching('12')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', ...Array<string>(12).fill('WATCH rv=11'), 'WATCH rv=12']);
  t.deepEqual(sleeps, Array<number>(10).fill(1000), "the rest client's ten retries, then no backoff");
  t.is(stats.byType.get('kubelet')?.relists, 0);
});

test('1.33: a 410 at watch start sends it back, after a backoff, to an unpaged LIST at the last resourceVersion', async (t) => {
  const { sent, sleeps, stats } = await replay(33, [listed('10'), watching('11'), { status: 410 }, listed('20'), watching('21')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=11', 'LIST rv=11', 'WATCH rv=20', 'WATCH rv=21']);
  t.deepEqual(sleeps, [800], 'the first backoff: 800 ms (no jitter here)');
  t.is(stats.byType.get('kubelet')?.relists, 1);
});

test('1.33: a 410 in the stream (an ERROR event) is a relist at the last resourceVersion as well', async (t) => {
  const { sent } = await replay(33, [listed('10'), { watch: { frames: [{ type: 'ERROR', code: 410 }] } }, listed('20')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'LIST rv=10', 'WATCH rv=20']);
});

test('a relist answered 410 or 504 (too large resourceVersion) falls back at once to an unpaged quorum LIST', async (t) => {
  for (const refusal of [{ status: 410 }, { status: 504, body: '{"details":{"causes":[{"reason":"ResourceVersionTooLarge"}]}}' }]) {
    const { sent, sleeps } = await replay(33, [listed('10'), { status: 410 }, refusal, listed('30'), watching('31')]);
    t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'LIST rv=10', 'LIST rv=', 'WATCH rv=30', 'WATCH rv=31'], JSON.stringify(refusal));
    t.deepEqual(sleeps, [800], 'no backoff between the refused relist and the quorum one');
  }
});

test('a 504 without the too-large cause is an error: backoff, and the same relist again', async (t) => {
  const { sent, sleeps } = await replay(33, [listed('10'), { status: 410 }, { status: 504 }, listed('30')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'LIST rv=10', 'LIST rv=10', 'WATCH rv=30']);
  t.deepEqual(sleeps, [800, 1600]);
});

test('a 429 at watch start: with Retry-After the rest client sends it again after that; without, the reflector backs off and re-watches', async (t) => {
  const retried = await replay(33, [listed('10'), { status: 429, retryAfterS: 2 }, watching('11')]);
  t.deepEqual(retried.sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=10', 'WATCH rv=11']);
  t.deepEqual(retried.sleeps, [2000]);
  const backedOff = await replay(33, [listed('10'), { status: 429 }, watching('11')]);
  t.deepEqual(backedOff.sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=10', 'WATCH rv=11']);
  t.deepEqual(backedOff.sleeps, [800]);
});

test('connection refused at watch start (an apiserver restarting): backoff doubling, re-watching, never a LIST', async (t) => {
  const refused = { error: 'ECONNREFUSED' };
  const { sent, sleeps } = await replay(33, [listed('10'), watching(), refused, refused, refused, watching('11')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=10', 'WATCH rv=10', 'WATCH rv=10', 'WATCH rv=10', 'WATCH rv=11']);
  t.deepEqual(sleeps, [800, 1600, 3200]);
});

test('a LIST cut by a reset is sent again after one second (the rest client), not relisted by the reflector', async (t) => {
  const { sent, sleeps } = await replay(33, [{ error: 'ECONNRESET' }, listed('10'), watching('11')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'LIST rv=0 limit=500', 'WATCH rv=10', 'WATCH rv=11']);
  t.deepEqual(sleeps, [1000]);
});

test('a watch that ends within a second with no event is "very short": backoff, then a relist', async (t) => {
  const { sent, sleeps } = await replay(33, [listed('10'), { watch: { frames: [], lastsMs: 200 } }, listed('20')]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'WATCH rv=10', 'LIST rv=10', 'WATCH rv=20']);
  t.deepEqual(sleeps, [800]);
});

test('the backoff doubles from 800 ms to its 30 s cap with jitter up to as much again, and starts over two minutes after its last reset', (t) => {
  let now = 0;
  let random = 0;
  const backoff = new ClientGoBackoff(
    800,
    30_000,
    120_000,
    () => now,
    () => random,
  );
  t.deepEqual(
    Array.from({ length: 8 }, () => backoff.step()),
    [800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000],
  );
  random = 1;
  t.is(backoff.step(), 60_000, 'full jitter doubles it');
  now = 120_001;
  t.is(backoff.step(), 1600, 'reset to 800 ms (+ jitter)');
});

test('1.37: the first sync is a WatchList from the most recent state, and its stream goes on as the watch; a reset re-watches from the bookmark', async (t) => {
  const { sent, stats } = await replay(37, [bookmarked('40'), watching('41')]);
  t.deepEqual(sent, ['WATCHLIST rv=', 'WATCH rv=40', 'WATCH rv=41']);
  t.is(stats.byType.get('kubelet')?.lists, 1, 'the WatchList counts as the sync');
});

test('1.37: a 410 sends it to a WatchList from the last resourceVersion; a WatchList refused as too old streams from "" at once', async (t) => {
  const { sent, sleeps } = await replay(37, [bookmarked('40'), { status: 410 }, { status: 410 }, bookmarked('50')]);
  t.deepEqual(sent, ['WATCHLIST rv=', 'WATCH rv=40', 'WATCHLIST rv=40', 'WATCHLIST rv=', 'WATCH rv=50']);
  t.deepEqual(sleeps, [800]);
});

test('1.37 against a server whose WatchList gate is off: each sync tries the WatchList, then falls back to the LIST', async (t) => {
  const forbidden = { status: 422, body: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' };
  const { sent } = await replay(37, [forbidden, listed('10'), { status: 410 }, forbidden, listed('20')]);
  t.deepEqual(sent, ['WATCHLIST rv=', 'LIST rv=0 limit=500', 'WATCH rv=10', 'WATCHLIST rv=10', 'LIST rv=10', 'WATCH rv=20']);
});

test('a LIST past one page follows its continue tokens with no resourceVersion; a paged answer at rv=0 keeps later relists paged', async (t) => {
  const { sent } = await replay(33, [{ list: { rv: '10', continueToken: 'c1' } }, listed('10'), { status: 410 }, { list: { rv: '20' } }]);
  t.deepEqual(sent, ['LIST rv=0 limit=500', 'LIST rv= limit=500 continue=c1', 'WATCH rv=10', 'LIST rv=10 limit=500', 'WATCH rv=20']);
});

/** A store that writes down what its reflector handed it. */
function recordingSink(): ObjectSink & { calls: string[] } {
  const text = (raw: Buffer | string) => raw.toString();
  const calls: string[] = [];
  return {
    calls,
    replace: (objects) => calls.push(`replace ${'pages' in objects ? objects.pages.map(text).join(',') : objects.frames.map(text).join(',')}`),
    event: (type, raw) => calls.push(`${type} ${text(raw)}`),
  };
}

test("a store gets the list's pages as one replace, then each watch event's object (not bookmarks); the pages are read only when a store wants them", async (t) => {
  const sink = recordingSink();
  const pages: Step[] = [{ list: { rv: '10', continueToken: 'c', body: 'page-1' } }, { list: { rv: '10', body: 'page-2' } }];
  const events: Step = {
    watch: {
      frames: [
        { type: 'MODIFIED', resourceVersion: '11', raw: 'pod-a' },
        { type: 'BOOKMARK', resourceVersion: '12', raw: 'bookmark' },
        { type: 'DELETED', resourceVersion: '13', raw: 'pod-b' },
      ],
    },
  };
  await replay(33, [...pages, events], sink);
  t.deepEqual(sink.calls, ['replace page-1,page-2', 'MODIFIED pod-a', 'DELETED pod-b']);
});

test("a WatchList's initial events are one replace at its initial-events-end bookmark; the events after it go one by one", async (t) => {
  const sink = recordingSink();
  const stream: Step = {
    watch: {
      frames: [
        { type: 'ADDED', resourceVersion: '5', raw: 'pod-a' },
        { type: 'ADDED', resourceVersion: '6', raw: 'pod-b' },
        { type: 'BOOKMARK', resourceVersion: '7', initialEventsEnd: true, raw: 'bookmark' },
        { type: 'ADDED', resourceVersion: '8', raw: 'pod-c' },
      ],
    },
  };
  await replay(37, [stream], sink);
  t.deepEqual(sink.calls, ['replace pod-a,pod-b', 'ADDED pod-c']);
});
