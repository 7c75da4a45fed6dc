import { rulesFor, type ApiAccess, type PolicyRule } from '../../core/access.js';
import { writeAccess } from '../agents/access.js';
import type { ApiClient } from '../client.js';
import type { AgentPlan } from '../fleet-workers.js';

/** What the plans' agents list, watch and write, and nothing else: the whole of what the shards may do on the target. */
export function agentRules(plans: AgentPlan[]): PolicyRule[] {
  const agents = plans.flatMap((plan) => plan.agents);
  return rulesFor([
    ...agents.flatMap((agent) => agent.targets.map((target) => ({ path: target.path, verbs: ['list', 'watch'] }) satisfies ApiAccess)),
    ...agents.flatMap((agent) => agent.writes.flatMap(writeAccess)),
  ]);
}

/**
 * A least-privilege identity on the target for the shards: a ServiceAccount allowed to
 * do what the agents do, and a token for it that outlives the run. Made
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
