/** One cumulative bucket of a Prometheus histogram: how many observations were at most `le`. */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * The q-quantile of a cumulative histogram, the way Prometheus's histogram_quantile
 * estimates it: linear within the bucket the rank falls in, and the highest finite
 * bound when it falls in +Inf. NaN without observations. Counts that went down between
 * neighbouring buckets (two scrapes' worth of skew) are treated as flat.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  let running = 0;
  const cumulative = sorted.map((b) => ({ le: b.le, count: (running = Math.max(running, b.count)) }));
  const total = cumulative[cumulative.length - 1]!.count;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  const index = cumulative.findIndex((b) => b.count >= rank);
  if (index === cumulative.length - 1) return cumulative[cumulative.length - 2]!.le;
  const bucket = cumulative[index]!;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const below = index === 0 ? { le: 0, count: 0 } : cumulative[index - 1]!;
  const inBucket = bucket.count - below.count;
  return below.le + (bucket.le - below.le) * ((rank - below.count) / inBucket);
}
