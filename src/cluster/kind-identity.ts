import fs from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { InfrastructureError } from '../errors.js';
import { postJson } from './https.js';
import type { ApiserverAccess } from '../core/cluster.js';

/**
 * The load identity: a ServiceAccount bound to cluster-admin, by token. kind's admin
 * is in system:masters, which API Priority and Fairness and max-inflight exempt.
 */
export async function loadIdentityKubeconfig(adminKubeconfig: string, out: string, access: ApiserverAccess): Promise<void> {
  const post = async (url: string, body: unknown) => {
    const response = await postJson(`${access.server}${url}`, body, access);
    if (response.status !== 201 && response.status !== 409) throw new InfrastructureError(`POST ${url}: HTTP ${response.status}`);
    return response;
  };
  await post('/api/v1/namespaces/kube-system/serviceaccounts', { metadata: { name: 'cpchaos-load' } });
  await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'cpchaos-load' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'cpchaos-load', namespace: 'kube-system' }],
  });
  const token = JSON.parse((await post('/api/v1/namespaces/kube-system/serviceaccounts/cpchaos-load/token', { spec: { expirationSeconds: 86_400 } })).body) as {
    status: { token: string };
  };
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster()!;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster.name, cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(access.caPem ?? '').toString('base64') } }],
    users: [{ name: 'cpchaos-load', user: { token: token.status.token } }],
    contexts: [{ name: 'load', context: { cluster: cluster.name, user: 'cpchaos-load' } }],
    'current-context': 'load',
  };
  await fs.writeFile(out, yaml.dump(config), { mode: 0o600 });
}
