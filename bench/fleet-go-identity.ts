import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentKind } from '../src/load/agents/types.js';
import { agentNamespace } from '../src/load/agent-identities.js';
import { grantServiceAccount, type CreateObject } from '../src/load/service-account-token.js';
import { rulesOf } from '../src/load/shards/target-identity.js';

/** The CA a local cluster in `clusterDir` signs client certificates with: both fleets sign their kubelets' with it. */
export function clientCaFiles(clusterDir: string): { cert: string; key: string } {
  const pki = path.join(clusterDir, 'pki');
  return { cert: path.join(pki, 'ca.crt'), key: path.join(pki, 'ca.key') };
}

/**
 * bench/fleet-go's arguments that make its agents of `kind` who the real ones are, on a local
 * cluster whose state is in `clusterDir`: kubelets sign certificates of their nodes with the
 * cluster's CA; a ServiceAccount kind reads a token from a file (as a pod reads its projected
 * token), of an account made here with `create` and allowed what the kind's model does, as our
 * own agents' accounts are. The token file is written in `clusterDir`, which goes with the cluster.
 */
export async function clientGoIdentityArgs(clusterDir: string, type: string, kind: AgentKind, minor: number, create: CreateObject): Promise<string[]> {
  const { cert, key } = clientCaFiles(clusterDir);
  const ca = ['-client-ca-cert', cert, '-client-ca-key', key];
  if (kind.identity?.kind !== 'service-account') return ca;
  const model = kind.model('cpchaos-node-0', new Set(), minor);
  const rules = rulesOf([{ targets: model.informers, writes: model.writes }]);
  const token = await grantServiceAccount(create, { namespace: agentNamespace, name: `fleet-go-${type}`, rules });
  const tokenFile = path.join(clusterDir, `fleet-go-${type}.token`);
  await writeFile(tokenFile, token, { mode: 0o600 });
  return [...ca, '-token-file', tokenFile];
}
