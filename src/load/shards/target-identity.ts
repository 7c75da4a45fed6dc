import { rulesFor, type ApiAccess, type PolicyRule } from '../../core/access.js';
import { writeAccess } from '../agents/access.js';
import type { ApiClient } from '../../core/api-client.js';
import type { AgentPlan } from '../fleet-workers.js';
import type { AgentWrite, InformerTarget } from '../../core/agent-model.js';
import { grantServiceAccount } from '../service-account-token.js';

/** What the plans' agents list, watch and write, and nothing else: the whole of what the shards may do on the target. */
export function agentRules(plans: AgentPlan[]): PolicyRule[] {
  return rulesOf(plans.flatMap((plan) => plan.agents));
}

/** What agents that list and watch `targets` and make `writes` may do, and nothing else. */
export function rulesOf(agents: { targets: InformerTarget[]; writes: AgentWrite[] }[]): PolicyRule[] {
  return rulesFor([
    ...agents.flatMap((agent) => agent.targets.map((target) => ({ path: target.path, verbs: ['list', 'watch'] }) satisfies ApiAccess)),
    ...agents.flatMap((agent) => agent.writes.flatMap(writeAccess)),
  ]);
}

/**
 * A least-privilege identity on the target for the shards: a ServiceAccount allowed to
 * do what the agents do, and a token for it. Made with the run's client, so it carries
 * the run's label and teardown removes it.
 */
export function agentToken(client: ApiClient, name: string, plans: AgentPlan[]): Promise<string> {
  const create = (path: string, body: object) => client.json<unknown>('POST', path, { body });
  return grantServiceAccount(create, { namespace: 'default', name, rules: agentRules(plans) });
}
