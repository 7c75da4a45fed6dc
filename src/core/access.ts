/** What a plugin asks of the Kubernetes API, in RBAC's terms: the basis of a scheduled run's ServiceAccount. */

export type ApiVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** One request a plugin makes, named by the URL it sends it to (a collection, an object, or a non-resource URL such as /metrics). */
export interface ApiAccess {
  verbs: ApiVerb[];
  path: string;
}

/** An RBAC PolicyRule as a ClusterRole lists it. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** Group and resource (or resource/subresource) of a built-in or custom API path; undefined for a non-resource URL. */
export function resourceOf(path: string): { group: string; resource: string } | undefined {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1]!, parts.slice(3)];
  else return undefined;
  // namespaces/<ns>/<resource>/... names the resource after the namespace; namespaces or namespaces/<name> is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  // <resource>/<name>/<subresource>: RBAC names the subresource ("nodes/status").
  return { group, resource: rest.length >= 3 ? `${rest[0]}/${rest[2]}` : rest[0]! };
}

const verbOrder: ApiVerb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * The fewest rules that allow every access and nothing else: one per resource with the
 * union of its verbs, resources with the same verbs in one group merged into one rule.
 */
export function rulesFor(accesses: ApiAccess[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: Set<ApiVerb> }>();
  const nonResource = new Map<string, Set<ApiVerb>>();
  for (const access of accesses) {
    const target = resourceOf(access.path);
    if (!target) {
      const url = access.path.split('?')[0]!;
      const verbs = nonResource.get(url) ?? new Set();
      for (const verb of access.verbs) verbs.add(verb);
      nonResource.set(url, verbs);
      continue;
    }
    const key = `${target.group}/${target.resource}`;
    const entry = byResource.get(key) ?? { ...target, verbs: new Set<ApiVerb>() };
    for (const verb of access.verbs) entry.verbs.add(verb);
    byResource.set(key, entry);
  }
  const merged = new Map<string, PolicyRule>();
  for (const { group, resource, verbs } of [...byResource.values()].sort((a, b) => `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`))) {
    const sorted = verbOrder.filter((v) => verbs.has(v));
    const key = `${group}|${sorted.join(',')}`;
    const rule = merged.get(key) ?? { apiGroups: [group], resources: [], verbs: sorted };
    rule.resources!.push(resource);
    merged.set(key, rule);
  }
  for (const [url, verbs] of [...nonResource].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = verbOrder.filter((v) => verbs.has(v));
    const key = `non-resource|${sorted.join(',')}`;
    const rule = merged.get(key) ?? { nonResourceURLs: [], verbs: sorted };
    rule.nonResourceURLs!.push(url);
    merged.set(key, rule);
  }
  return [...merged.values()];
}
