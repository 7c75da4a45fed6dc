import type { ApiClient } from '../client.js';
import type { AgentPlan } from '../fleet-workers.js';

/** "/api/v1/pods" -> core group, pods; "/apis/discovery.k8s.io/v1/endpointslices" -> discovery.k8s.io, endpointslices. */
function groupResource(path: string): { group: string; resource: string } {
  const parts = path.split('/').filter(Boolean);
  return parts[0] === 'api' ? { group: '', resource: parts[2]! } : { group: parts[1]!, resource: parts[3]! };
}

/** What the plans' agents list and watch, and nothing else: the whole of what the shards may do on the target. */
export function agentRules(plans: AgentPlan[]): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
  const byGroup = new Map<string, Set<string>>();
  for (const target of plans.flatMap((p) => p.agents.flatMap((a) => a.targets))) {
    const { group, resource } = groupResource(target.path);
    byGroup.set(group, (byGroup.get(group) ?? new Set()).add(resource));
  }
  return [...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs: ['list', 'watch'] }));
}

/**
 * A least-privilege identity on the target for the shards: a ServiceAccount allowed to
 * list and watch what the agents do, and a token for it that outlives the run. Made
 * with the run's client, so it carries the run's label and teardown removes it.
 */
export async function agentToken(client: ApiClient, name: string, plans: AgentPlan[]): Promise<string> {
  const namespace = 'default';
  await client.json('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { body: { metadata: { name } } });
  await client.json('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { body: { metadata: { name }, rules: agentRules(plans) } });
  await client.json('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const request = await client.json<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } },
  });
  return request.status.token;
}
