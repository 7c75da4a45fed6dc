import { createHash } from 'node:crypto';
import type { AgentIdentity } from '../core/agent-model.js';
import type { PolicyRule } from '../core/access.js';
import { clientCertificateIssuer, type KeyPairPem } from '../cluster/certs.js';
import { fixedAuthorization, type Authorization } from './authorization.js';
import type { AgentWire } from './agents/wire.js';
import type { TlsMaterial } from './transports/types.js';

/**
 * What the agents need to be who their real counterparts are, as plain data (it crosses to
 * worker threads): the CA the apiserver trusts for client certificates, to sign each node's,
 * and a token for each ServiceAccount an agent kind runs as. Never sent to shards.
 */
export interface AgentIdentitySource {
  clientCa?: KeyPairPem;
  /** Bearer tokens by ServiceAccount name (in kube-system). */
  tokens: Record<string, string>;
}

/** What one agent connects with: its TLS material and, for a ServiceAccount, its token. */
export interface AgentCredentials {
  tls: TlsMaterial;
  credentials?: Authorization;
}

const namespace = 'kube-system';

/**
 * Each agent's credentials: a kubelet's client certificate for its node, a kube-proxy's or CNI
 * agent's kind-wide ServiceAccount token; the load identity for an agent kind that names none,
 * or where the source cannot say (no CA to sign with, no token made).
 */
export class AgentIdentities {
  private readonly issue?: (subject: string) => Promise<KeyPairPem>;
  private readonly byServiceAccount = new Map<string, AgentCredentials>();

  constructor(
    private readonly load: AgentCredentials,
    private readonly source: AgentIdentitySource = { tokens: {} },
  ) {
    if (source.clientCa) this.issue = clientCertificateIssuer(source.clientCa);
  }

  async of(identity: AgentIdentity | undefined, node: string): Promise<AgentCredentials> {
    if (identity?.kind === 'node' && this.issue) {
      const { certPem, keyPem } = await this.issue(`CN=system:node:${node}, O=system:nodes`);
      return { tls: { ...this.serverCheck(), cert: certPem, key: keyPem } };
    }
    if (identity?.kind === 'service-account') return this.serviceAccount(identity.name);
    return this.load;
  }

  /** One TLS material per ServiceAccount, so its agents share one TLS context. */
  private serviceAccount(name: string): AgentCredentials {
    const token = this.source.tokens[name];
    if (token === undefined) return this.load;
    let credentials = this.byServiceAccount.get(name);
    if (!credentials) {
      credentials = { tls: this.serverCheck(), credentials: fixedAuthorization(`Bearer ${token}`) };
      this.byServiceAccount.set(name, credentials);
    }
    return credentials;
  }

  /** How the load identity checks the apiserver, without its client certificate (the apiserver would take that first). */
  private serverCheck(): TlsMaterial {
    const { ca, insecure, serverName } = this.load.tls;
    return { ca, ...(insecure ? { insecure } : {}), ...(serverName ? { serverName } : {}) };
  }
}

/**
 * A ServiceAccount in kube-system for each agent kind's `name`, allowed its `rules` (what its
 * agents do) by a ClusterRole of its own, and a token for each that outlives the run. Named for
 * the run (its `labels`), so two runs on one cluster never share one, and its teardown finds them.
 */
export async function serviceAccountTokens(
  wire: AgentWire,
  accounts: { name: string; rules: PolicyRule[] }[],
  labels: Record<string, string>,
): Promise<Record<string, string>> {
  const suffix = createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 6);
  const tokens: Record<string, string> = {};
  for (const { name, rules } of accounts) {
    const account = `cpchaos-${name}-${suffix}`;
    await create(wire, `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: account, labels } });
    await create(wire, '/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: account, labels }, rules });
    await create(wire, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: account, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    });
    const request = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } };
    const body = await create(wire, `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`, request);
    tokens[name] = (JSON.parse(body.toString()) as { status: { token: string } }).status.token;
  }
  return tokens;
}

/** POSTs `body`; one that exists (409) is fine. */
async function create(wire: AgentWire, path: string, body: object): Promise<Buffer> {
  const response = await wire.send({ method: 'POST', path, protobuf: false, body: JSON.stringify(body), contentType: 'application/json' });
  if (response.status >= 300 && response.status !== 409) throw new Error(`POST ${path}: HTTP ${response.status} ${response.body.toString().slice(0, 200)}`);
  return response.body;
}
