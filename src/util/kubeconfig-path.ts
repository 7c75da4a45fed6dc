import os from 'node:os';
import path from 'node:path';

/** $KUBECONFIG's first file, else ~/.kube/config, as kubectl reads them. */
export function defaultKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  return first ?? path.join(os.homedir(), '.kube', 'config');
}
