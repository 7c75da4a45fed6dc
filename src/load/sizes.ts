import type { SeedSet } from '../experiment/schema.js';
import type { ApiClient } from '../core/api-client.js';
import type { KubeObject } from './objects/types.js';

export type SizeQuantiles = NonNullable<SeedSet['sizes']>;

/**
 * The sizes some objects must have so that simple-statistics' quantileSorted (which `cpchaos
 * profile` uses) reads each quantile back exactly: it reads quantile p at (count − 1) · p,
 * between two objects (numpy's "linear"), so both get the quantile's size, or, next to the
 * largest, the one size that puts the line through it.
 */
function anchorsFor(sizes: SizeQuantiles, count: number): Map<number, number> {
  const last = count - 1;
  const anchors = new Map<number, number>([[0, sizes.min]]);
  for (const [p, value] of [
    [0.5, sizes.p50],
    [0.9, sizes.p90],
    [0.99, sizes.p99],
  ] as const) {
    const at = last * p;
    const [low, high, fraction] = [Math.floor(at), Math.ceil(at), at - Math.floor(at)];
    if (fraction === 0) anchors.set(low, value);
    // Quantiles no sample could have (a hand-written p99 far below the max) give up exactness to keep sizes rising.
    else if (high === last) anchors.set(low, Math.max(Math.max(...anchors.values()), (value - fraction * sizes.max) / (1 - fraction)));
    else anchors.set(low, value).set(high, value);
  }
  return anchors.set(last, sizes.max);
}

/** Object `index` of `count`'s size, rising with the index: the minimum first, the maximum last, each quantile where a profile reads it, linear in between. */
export function sizeAt(sizes: SizeQuantiles, index: number, count: number): number {
  if (count <= 1) return sizes.p50;
  const anchors = [...anchorsFor(sizes, count)].sort((a, b) => a[0] - b[0]);
  const exact = anchors.find(([i]) => i === index);
  if (exact) return Math.round(exact[1]);
  const after = anchors.findIndex(([i]) => i > index);
  const [[i0, v0], [i1, v1]] = [anchors[after - 1]!, anchors[after]!];
  return Math.round(v0 + ((v1 - v0) * (index - i0)) / (i1 - i0));
}

/**
 * An object's size as the apiserver serves it in a LIST, less what the control plane writes
 * after the object is made: its JSON without apiVersion and kind (which LIST items of built-in
 * kinds leave out), status and managedFields (controllers and kubelets write those, and a
 * rebuilt cluster's control plane writes its own). `cpchaos profile` measures the same.
 */
export function servedSize(object: Record<string, unknown>): number {
  const own: Record<string, unknown> = { ...object };
  for (const key of ['apiVersion', 'kind', 'status']) delete own[key];
  if (own.metadata && typeof own.metadata === 'object' && 'managedFields' in own.metadata) {
    const metadata: Record<string, unknown> = { ...(own.metadata as Record<string, unknown>) };
    delete metadata.managedFields;
    own.metadata = metadata;
  }
  return Buffer.byteLength(JSON.stringify(own));
}

export const paddingKey = 'cpchaos.io/padding';

/** Padding goes where such objects keep their bulk: a configmap's data, otherwise an annotation. */
export function withPadding(object: KubeObject, bytes: number, index: number): KubeObject {
  const text = `${index}-`.repeat(Math.ceil(Math.max(0, bytes) / (String(index).length + 1))).slice(0, Math.max(0, bytes));
  if (object.kind === 'ConfigMap') return { ...object, data: { ...(object.data as Record<string, string> | undefined), padding: text } };
  return { ...object, metadata: { ...object.metadata, annotations: { ...(object.metadata.annotations as Record<string, string>), [paddingKey]: text } } };
}

/** What the apiserver adds to an object of a set, in bytes: as it is, and with the padding's key (which managedFields also names). */
export interface Overhead {
  plain: number;
  padded: number;
}

/**
 * The overhead of the set's first object (uid, timestamps, managedFields, defaults, status),
 * measured by creating it with dryRun=All, which stores nothing.
 */
export async function servedOverhead(client: ApiClient, collection: string, object: KubeObject, signal?: AbortSignal): Promise<Overhead> {
  const separator = collection.includes('?') ? '&' : '?';
  const measure = async (probe: KubeObject) => {
    const served = await client.json<Record<string, unknown>>('POST', `${collection}${separator}dryRun=All`, { body: probe, signal, verb: 'create-dry-run' });
    const metadata = served.metadata as Record<string, unknown> | undefined;
    // A dry run assigns no resourceVersion; a stored object has one of about eight digits.
    const missingVersion = metadata && metadata.resourceVersion === undefined ? '"resourceVersion":"12345678",'.length : 0;
    return servedSize(served) + missingVersion - servedSize(probe);
  };
  return { plain: await measure(object), padded: await measure(withPadding(object, 0, 0)) };
}

/**
 * Pads `object` so that, served, it is `target` bytes. An object already that big, or
 * too near it for the padding's own key, goes as it is: padding never shrinks.
 */
export function padTo(object: KubeObject, target: number, overhead: Overhead, index: number): KubeObject {
  const bare = servedSize(withPadding(object, 0, index)) + overhead.padded;
  return target <= bare ? object : withPadding(object, target - bare, index);
}
