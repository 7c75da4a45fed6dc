import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A pod's own identity: its service-account token and the cluster's CA, mounted where Kubernetes puts them. */
export async function inClusterAvailable(dir = serviceAccountDir): Promise<boolean> {
  if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) return false;
  return fs.access(path.join(dir, 'token')).then(
    () => true,
    () => false,
  );
}

/**
 * A kubeconfig whose one context, named `context`, is this pod's service account.
 * It names the token file rather than holding the token: the kubelet rotates that file,
 * and client-node re-reads it every minute, so a long run keeps a valid token and no
 * secret is written anywhere. The file goes in a folder of its own; the caller removes it.
 */
export async function writeInClusterKubeconfig(context: string): Promise<{ file: string; remove(): Promise<void> }> {
  if (!(await inClusterAvailable()))
    throw new UsageError(
      `--in-cluster: no service account here (KUBERNETES_SERVICE_HOST unset or no ${serviceAccountDir}/token); it is for a run inside a pod`,
    );
  const kc = new KubeConfig();
  kc.loadFromCluster();
  const [cluster] = kc.clusters;
  const [user] = kc.users;
  const [current] = kc.contexts;
  const named = new KubeConfig();
  named.loadFromOptions({
    clusters: [{ ...cluster!, name: context }],
    users: [{ ...user!, name: context }],
    contexts: [{ ...current!, name: context, cluster: context, user: context }],
    currentContext: context,
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-in-cluster-'));
  const file = path.join(dir, 'kubeconfig');
  await fs.writeFile(file, named.exportConfig(), { mode: 0o600 });
  return { file, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
