import type { PolicyRule } from '../core/access.js';
import type { AgentWire } from './agents/wire.js';

/** POSTs `body` to `path` on the apiserver; resolves to its answer, parsed. */
export type CreateObject = (path: string, body: object) => Promise<unknown>;

/** A ServiceAccount and what it may do. */
export interface ServiceAccountGrant {
  namespace: string;
  name: string;
  rules: PolicyRule[];
  /** On all three objects; a client that labels what it creates itself needs none. */
  labels?: Record<string, string>;
}

/** How long a token lives: a day, so that most runs never renew one (renewingBearer renews it at 80 %, as kubelet renews projected tokens). */
const tokenLifeSeconds = 86_400;

/**
 * A ServiceAccount allowed `rules` by a ClusterRole (and binding) of its own name, and a token
 * for it. What the shards connect as, and what kube-proxies and CNI agents are in a run.
 */
export async function grantServiceAccount(create: CreateObject, grant: ServiceAccountGrant): Promise<string> {
  const { namespace, name, rules } = grant;
  const metadata = { name, ...(grant.labels ? { labels: grant.labels } : {}) };
  await create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata });
  await create('/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata, rules });
  await create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  return requestToken(create, namespace, name);
}

/** A new token of the ServiceAccount (TokenRequest). */
export async function requestToken(create: CreateObject, namespace: string, name: string): Promise<string> {
  const request = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: tokenLifeSeconds } };
  const answer = (await create(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, request)) as { status: { token: string } };
  return answer.status.token;
}

/** Creating over an agent's wire, as JSON; an object that exists (409) is fine, as in a run that starts more agents of a kind. */
export function createOver(wire: AgentWire): CreateObject {
  return async (path, body) => {
    const response = await wire.send({ method: 'POST', path, protobuf: false, body: JSON.stringify(body), contentType: 'application/json' });
    if (response.status >= 300 && response.status !== 409) throw new Error(`POST ${path}: HTTP ${response.status} ${response.body.toString().slice(0, 200)}`);
    return JSON.parse(response.body.toString()) as unknown;
  };
}
