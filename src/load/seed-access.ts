import type { ApiAccess } from '../core/access.js';
import type { SeedSet } from '../experiment/schema.js';
import { crdNames } from './objects/crds.js';
import { objectKinds } from './objects/index.js';

/** The API groups a crds set's kinds live in. */
function crdGroups(set: SeedSet & { name: string }): string[] {
  const groups = Math.min(set.count, set.groups ?? 1);
  return Array.from({ length: groups }, (_, i) => crdNames(set.name, i, set.groups ?? 1).group);
}

/**
 * What seeding a set, checking it is intact and removing it ask of the API: its namespaces,
 * then create, get (dry runs and readiness), list and delete on its collection.
 */
export function seedAccess(sets: (SeedSet & { name: string })[]): ApiAccess[] {
  const accesses: ApiAccess[] = [];
  const objectVerbs: ApiAccess['verbs'] = ['get', 'list', 'create', 'delete'];
  for (const set of sets) {
    const kind = objectKinds[set.kind];
    if (kind.namespaced) accesses.push({ path: '/api/v1/namespaces', verbs: ['create', 'list', 'delete'] });
    if (set.kind === 'customresources') {
      const crdSet = sets.find((s) => s.name === set.crdSet);
      // Their plurals are as many as the CRDs; every resource of our own groups says the same in one rule.
      for (const group of crdSet ? crdGroups(crdSet) : []) accesses.push({ path: `/apis/${group}/v1/*`, verbs: objectVerbs });
      continue;
    }
    accesses.push({ path: kind.collectionPath({ set, index: 0, namespace: 'any' }), verbs: objectVerbs });
  }
  return accesses;
}
