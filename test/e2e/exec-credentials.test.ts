import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import yaml from 'js-yaml';
import { get } from '../../src/cluster/https.js';
import { fixedAuthorization } from '../../src/load/authorization.js';
import type { Summary } from '../../src/report/summary.js';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { isolatedStateDir, repoRoot, runCli, startCluster, writeExperiment } from '../helpers/cluster.js';
import { startTokenWebhook } from '../helpers/token-webhook.js';

test.before(async () => {
  await isolatedStateDir();
});

const tokenLifeMs = 3_000;

/** A kubeconfig whose user is an exec plugin issuing tokens that live `tokenLifeMs`, as EKS and GKE kubeconfigs are. */
async function managedKubeconfig(file: string, server: string, caPem: string, execLog: string): Promise<void> {
  const exec = {
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    command: process.execPath,
    args: [path.join(repoRoot, 'dist', 'test', 'fixtures', 'exec-credential.js')],
    env: [
      { name: 'CPCHAOS_TEST_TOKEN_LIFE_MS', value: String(tokenLifeMs) },
      { name: 'CPCHAOS_TEST_EXEC_LOG', value: execLog },
    ],
    interactiveMode: 'Never',
  };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'managed', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'exec-user', user: { exec } }],
    contexts: [{ name: 'managed', context: { cluster: 'managed', user: 'exec-user' } }],
    'current-context': 'managed',
  };
  await fs.writeFile(file, yaml.dump(config), { mode: 0o600 });
}

const experiment = (kubeconfig: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: managed-long-run
cluster:
  provider: existing
  context: managed
  kubeconfig: ${kubeconfig}
seed:
  - kind: configmaps
    count: 60
    qps: 0
agents:
  - type: kubelet
    count: 20
    ${podsOnlyKubeletParts}
    relist: quorum
    rampUp: 1s
    backoff: { initial: 200ms, max: 2s }
steadyState:
  duration: 4s
faults:
  - type: connection-drop
    at: 4s
  - type: connection-drop
    at: 8s
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 10s
observe: 4s
observeAgents: 30s
hypotheses:
  - name: every kubelet relisted after each drop
    metric: cpchaos_fleet_relists_total
    labels: { agent: kubelet }
    aggregate: increase
    window: during
    comparator: "=="
    threshold: 40
  - name: seeded objects intact
    builtin: objects-intact
`;

test('a run many times longer than its exec-plugin token lives refreshes it in the client, the fleet and the scrapers: no 401s', async (t) => {
  const webhook = await startTokenWebhook(t, 'cpchaos:load');
  const cluster = await startCluster(t, {
    apiserverArgs: { 'authentication-token-webhook-config-file': webhook.configFile, 'authentication-token-webhook-cache-ttl': '0s' },
  });
  const { dir, file } = await writeExperiment('managed-long-run', '');
  const kubeconfig = path.join(dir, 'managed.kubeconfig');
  const execLog = path.join(dir, 'exec.log');
  await managedKubeconfig(kubeconfig, cluster.access.server, cluster.access.caPem!, execLog);
  await fs.writeFile(file, experiment(kubeconfig));

  const started = Date.now();
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'long', '--target-existing', 'managed']);
  const runMs = Date.now() - started;
  t.is(result.exitCode, 0, result.all);
  t.true(runMs > 5 * tokenLifeMs, `the run outlived several tokens (${runMs} ms)`);

  const summary = JSON.parse(await fs.readFile(path.join(dir, 'long', 'summary.json'), 'utf8')) as Summary;
  t.true(
    summary.verdicts.every((v) => v.status === 'held'),
    JSON.stringify(summary.verdicts),
  );
  const refused = summary.client.filter((c) => (c.codes['401'] ?? 0) > 0).map((c) => `${c.verb} ${c.resource}`);
  t.deepEqual(refused, [], 'no request of the runner was refused');
  const metrics = await fs.readFile(path.join(dir, 'long', 'metrics.ndjson'), 'utf8');
  t.notRegex(metrics, /"metric":"cpchaos_fleet_watch_breaks_total","labels":\{[^}]*"reason":"401"/, 'no agent LIST or WATCH was refused');
  const events = await fs.readFile(path.join(dir, 'long', 'events.ndjson'), 'utf8');
  t.notRegex(events, /scrape-failed/, 'the apiserver /metrics scrapes went through all along');

  const issued = (await fs.readFile(execLog, 'utf8')).trim().split('\n');
  t.true(issued.length >= Math.floor(runMs / tokenLifeMs) - 2, `the plugin ran ${issued.length} times in ${runMs} ms`);
  t.true(webhook.accepted.size >= 5, `the apiserver accepted ${webhook.accepted.size} distinct tokens`);
  // The control: the webhook really refuses a token past its life, so the checks above could fail.
  const expiredBefore = webhook.expired;
  const stale = await get(`${cluster.access.server}/api/v1/namespaces`, {
    caPem: cluster.access.caPem,
    credentials: fixedAuthorization(`Bearer ${issued[0]}`),
  });
  t.is(stale.status, 401, 'the first token, long expired: refused');
  t.is(webhook.expired, expiredBefore + 1);
});
