import type { SeedSet } from '../../experiment/schema.js';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

export interface BuildContext {
  set: SeedSet & { name: string };
  index: number;
  namespace?: string;
  /** For customresources: the CRDs created by the referenced crds set. */
  crds?: { group: string; version: string; plural: string; kind: string }[];
}

/** One kind of object a seed set can create: where it goes and what a realistic one looks like. One file each. */
export interface ObjectKind {
  namespaced: boolean;
  /** Collection URL to POST into. */
  collectionPath(context: BuildContext): string;
  build(context: BuildContext): KubeObject;
}

export function payload(bytes: number, index: number): string {
  // Not all one character, so etcd's and the apiserver's compression-free paths see real sizes.
  const seed = `cpchaos-${index}-`;
  return seed.repeat(Math.ceil(bytes / seed.length)).slice(0, bytes);
}
