/**
 * What a storm made agents ask, read from their request counts ("WATCH rv=last-synced",
 * "LIST rv=0 limit=500", "WATCHLIST rv=", ...): which door it went through. A re-watch costs the
 * apiserver a watch; a list at a resourceVersion (0 or the last synced) is served from its watch
 * cache; a list at rv="" is a quorum read, which etcd answers unless the cache can prove itself fresh.
 */
export interface StormRequests {
  rewatches: number;
  cachedLists: number;
  quorumLists: number;
}

export function stormRequests(requests: ReadonlyMap<string, number>): StormRequests {
  const storm: StormRequests = { rewatches: 0, cachedLists: 0, quorumLists: 0 };
  for (const [what, count] of requests) {
    const [verb, rv] = what.split(' ');
    // A continue page belongs to the list that asked for its first page.
    if (rv === 'continue') continue;
    if (verb === 'WATCH') storm.rewatches += count;
    else if (rv === 'rv=') storm.quorumLists += count;
    else storm.cachedLists += count;
  }
  return storm;
}
