import { createHash } from 'node:crypto';
import type { Authorization } from '../core/authorization.js';
import type { KeyPairPem } from '../core/cluster.js';
import type { AgentIdentity } from '../core/agent-model.js';
import type { PolicyRule } from '../core/access.js';
import { clientCertificateIssuer } from '../cluster/certs.js';
import { fixedAuthorization, renewingBearer } from './authorization.js';
import type { AgentWire } from './agents/wire.js';
import type { TlsMaterial } from './transports/types.js';
import { createOver, grantServiceAccount } from './service-account-token.js';

/**
 * What the agents need to be who their real counterparts are, as plain data (it crosses to
 * worker threads): the CA the apiserver trusts for client certificates, to sign each node's,
 * and a token for each ServiceAccount an agent kind runs as. Never sent to shards.
 */
export interface AgentIdentitySource {
  clientCa?: KeyPairPem;
  /** The ServiceAccount (in kube-system) and a token of it, by the name an agent kind gives (AgentIdentity). */
  serviceAccounts: Record<string, ServiceAccountToken>;
}

export interface ServiceAccountToken {
  /** The ServiceAccount's own name, made for the run. */
  account: string;
  token: string;
}

/** What one agent connects with: its TLS material and, for a ServiceAccount, its token. */
export interface AgentCredentials {
  tls: TlsMaterial;
  credentials?: Authorization;
}

/** Where the agents' ServiceAccounts are, as the real DaemonSets' are. */
export const agentNamespace = 'kube-system';

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
    private readonly source: AgentIdentitySource = { serviceAccounts: {} },
    /** A new token of a ServiceAccount of `agentNamespace` (a TokenRequest); without it, tokens are used until they expire. */
    private readonly renew?: (account: string) => Promise<string>,
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
    const made = this.source.serviceAccounts[name];
    if (made === undefined) return this.load;
    let credentials = this.byServiceAccount.get(name);
    if (!credentials) {
      const { account, token } = made;
      const renew = this.renew;
      const authorization = renew ? renewingBearer(token, () => renew(account)) : fixedAuthorization(`Bearer ${token}`);
      credentials = { tls: this.serverCheck(), credentials: authorization };
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
 * agents do), and a token for each. Named for the run (its `labels`), so two runs on one cluster
 * never share one, and its teardown finds them.
 */
export async function serviceAccountTokens(
  wire: AgentWire,
  accounts: { name: string; rules: PolicyRule[] }[],
  labels: Record<string, string>,
): Promise<Record<string, ServiceAccountToken>> {
  const suffix = createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 6);
  const made: Record<string, ServiceAccountToken> = {};
  for (const { name, rules } of accounts) {
    const account = `cpchaos-${name}-${suffix}`;
    made[name] = { account, token: await grantServiceAccount(createOver(wire), { namespace: agentNamespace, name: account, rules, labels }) };
  }
  return made;
}
