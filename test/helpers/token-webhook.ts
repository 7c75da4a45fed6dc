import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import yaml from 'js-yaml';

export interface TokenWebhook {
  /** The kubeconfig kube-apiserver's --authentication-token-webhook-config-file points at. */
  configFile: string;
  /** Distinct tokens it accepted, and how many reviews it refused because the token had expired. */
  accepted: Set<string>;
  expired: number;
}

interface TokenReview {
  apiVersion: string;
  spec: { token: string };
}

/**
 * An identity provider the real kube-apiserver asks about bearer tokens it does not
 * know, as EKS's aws-iam-authenticator is: the token webhook API. It accepts the
 * exec-credential fixture's tokens until the expiry written into them, for a user in
 * the group the load identity's RBAC binding names.
 */
export async function startTokenWebhook(t: ExecutionContext, group: string): Promise<TokenWebhook> {
  const webhook: TokenWebhook = { configFile: '', accepted: new Set(), expired: 0 };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TokenReview;
      const match = /^cpchaos-test\.(\d+)\.[0-9a-f]+$/.exec(review.spec.token);
      const live = match !== null && Number(match[1]) > Date.now();
      if (live) webhook.accepted.add(review.spec.token);
      else if (match) webhook.expired++;
      const status = live ? { authenticated: true, user: { username: 'exec-user', uid: 'exec-user', groups: [group] } } : { authenticated: false };
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'TokenReview', status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-webhook-'));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });
  webhook.configFile = path.join(dir, 'webhook.kubeconfig');
  await fs.writeFile(
    webhook.configFile,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'webhook', cluster: { server: `http://127.0.0.1:${port}/authenticate` } }],
      users: [{ name: 'apiserver', user: {} }],
      contexts: [{ name: 'webhook', context: { cluster: 'webhook', user: 'apiserver' } }],
      'current-context': 'webhook',
    }),
  );
  return webhook;
}
