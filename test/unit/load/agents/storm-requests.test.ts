import test from 'ava';
import { subtract } from '../../../../src/load/agents/stats.js';
import { stormRequests } from '../../../../src/load/agents/storm-requests.js';

test('a storm is told by its door: re-watches, lists at a cached resourceVersion, quorum lists; continue pages belong to their list', (t) => {
  const requests = new Map([
    ['WATCH rv=last-synced', 40],
    ['LIST rv=0 limit=500', 3],
    ['LIST rv=last-synced', 5],
    ['WATCHLIST rv=last-synced', 7],
    ['LIST rv=', 2],
    ['LIST rv= limit=500', 4],
    ['LIST continue limit=500', 9],
    ['WATCHLIST rv=', 6],
  ]);
  t.deepEqual(stormRequests(requests), { rewatches: 40, cachedLists: 15, quorumLists: 12 });
  t.deepEqual(stormRequests(new Map()), { rewatches: 0, cachedLists: 0, quorumLists: 0 });
});

test('subtract keeps what grew since the copy, and what is new', (t) => {
  const before = new Map([
    ['WATCHLIST rv=', 20],
    ['WATCH rv=last-synced', 5],
  ]);
  const now = new Map([
    ['WATCHLIST rv=', 20],
    ['WATCH rv=last-synced', 25],
    ['WATCHLIST rv=last-synced', 20],
  ]);
  t.deepEqual(subtract(now, before), [
    ['WATCH rv=last-synced', 20],
    ['WATCHLIST rv=last-synced', 20],
  ]);
  t.deepEqual(subtract(now, undefined), [...now]);
});
