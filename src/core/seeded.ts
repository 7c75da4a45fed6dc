import type { SeedSet } from '../experiment/schema.js';

/** What seeding made: a fault that deletes or churns objects works from these, and the run checks them again after its faults. */
export interface SeededObject {
  index: number;
  /** URL of the object itself, for deletes and gets. */
  path: string;
  name: string;
  namespace?: string;
}

export interface SeededSet {
  name: string;
  kind: SeedSet['kind'];
  requested: number;
  objects: SeededObject[];
  failed: number;
  durationMs: number;
  /** Collections to LIST (across namespaces) when checking the set is intact. */
  listPaths: string[];
  labelSelector: string;
  crds?: { group: string; version: string; plural: string; kind: string }[];
}

/** One set listed again after the faults: how many of its objects are still there. */
export interface IntegrityResult {
  set: string;
  expected: number;
  found: number;
  missing: string[];
}
