import fs from 'node:fs/promises';
import yaml from 'js-yaml';
import type { KeyPairPem } from '../core/cluster.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig with embedded credentials, readable by kubectl and @kubernetes/client-node. */
export function kubeconfigYaml(options: { name: string; server: string; caPem: string; user: string; credentials: KeyPairPem }): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: options.name, cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) } }],
    users: [{ name: options.user, user: { 'client-certificate-data': b64(options.credentials.certPem), 'client-key-data': b64(options.credentials.keyPem) } }],
    contexts: [{ name: options.name, context: { cluster: options.name, user: options.user } }],
    'current-context': options.name,
  });
}

export async function writeKubeconfig(file: string, content: string): Promise<void> {
  await fs.writeFile(file, content, { mode: 0o600 });
}
