import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { defaultKubernetesVersion, oldestKubernetesVersion } from '../../src/binaries/versions.js';
import { resolveKind } from '../../src/binaries/kind-binary.js';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { kindSkipReason } from '../helpers/kind.js';
import { cliPath, exists, isolatedStateDir, runCli, runExperimentText, writeExperiment } from '../helpers/cluster.js';

/**
 * kind for real: real Docker, real kind nodes booted from the node image (kindest/node,
 * or the one cpchaos builds offline, which `npm test` builds first through
 * scripts/docker.sh). Serial: each test is one or three kind nodes on two cores.
 */

const skip = await kindSkipReason();
const kindTest = skip ? test.serial.skip : test.serial;
const note = skip ? ` (skipped: ${skip})` : '';

let stateDir: string;
test.before(async () => {
  stateDir = await isolatedStateDir();
});

/** Nothing of the cluster is left: no kind cluster, container, network or state folder (with its admin key). */
async function assertGone(t: ExecutionContext, cluster: string): Promise<void> {
  const kind = await resolveKind(undefined, { build: false });
  t.false(
    String((await execa(kind, ['get', 'clusters'])).stdout)
      .split('\n')
      .includes(cluster),
    `kind cluster ${cluster} deleted`,
  );
  t.is(String((await execa('docker', ['ps', '-a', '--filter', `name=${cluster}`, '--format', '{{.Names}}'])).stdout).trim(), '', 'no container left');
  t.is(String((await execa('docker', ['network', 'ls', '--filter', `name=${cluster}`, '--format', '{{.Name}}'])).stdout).trim(), '', 'no network left');
  t.false(await exists(path.join(stateDir, 'kind', cluster)), 'state folder (admin kubeconfig) removed');
}

function series(ndjson: string, metric: string, component: string): number[] {
  return ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { metric: string; labels: Record<string, string>; value: number })
    .filter((s) => s.metric === metric && s.labels.component === component)
    .map((s) => s.value);
}

kindTest(`one control plane: seed, LIST flood, relist storm, kill the apiserver, pause the node; recorded and removed${note}`, async (t) => {
  t.timeout(8 * 60_000);
  const { result, runDir, summary } = await runExperimentText(
    'kind-single',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: kind-single
cluster:
  provider: kind
  apiserverArgs: { max-requests-inflight: "200" }
seed:
  - kind: configmaps
    count: 200
  - kind: pods
    count: 100
agents:
  - type: kubelet
    count: 40
    ${podsOnlyKubeletParts}
    relist: quorum
    rampUp: 1s
    backoff: { initial: 200ms, max: 2s }
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 3s
  - type: connection-drop
    at: 4s
  - type: kill-process
    at: 8s
    component: apiserver
  - type: pause-node
    at: 30s
    duration: 4s
observe: 20s
recovery:
  timeout: 120s
hypotheses:
  - name: apiserver back within 120s
    builtin: ready-within
    within: 120s
  - name: seeded objects intact
    builtin: objects-intact
  - name: every kubelet relisted after the drop
    metric: cpchaos_fleet_relists_total
    labels: { agent: kubelet }
    aggregate: increase
    window: during
    comparator: ">="
    threshold: 40
`,
  );
  t.is(result.exitCode, 0, result.all);
  t.like(summary.cluster, { provider: 'kind', kubernetesVersion: defaultKubernetesVersion });
  t.truthy(summary.cluster?.nodeImage?.image, 'the node image is recorded');
  t.true(summary.events.restarts >= 1, 'the kubelet restarted the killed apiserver');
  const events = await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8');
  for (const type of ['process-killed', 'node-paused', 'node-resumed', 'connections-dropped']) t.true(events.includes(`"type":"${type}"`), type);
  const metrics = await fs.readFile(path.join(runDir, 'metrics.ndjson'), 'utf8');
  for (const component of ['apiserver', 'etcd']) {
    t.true(
      series(metrics, 'cpchaos_process_resident_memory_bytes', component).some((v) => v > 10e6),
      `${component} RSS from /proc`,
    );
    t.true(
      series(metrics, 'cpchaos_cgroup_memory_usage_bytes', component).some((v) => v > 10e6),
      `${component} usage from its static pod's cgroup`,
    );
  }
  const logs = await fs.readdir(path.join(runDir, 'logs'));
  t.true(
    logs.some((l) => l.endsWith('-control-plane')),
    `node logs in the results: ${logs.join(', ')}`,
  );
  await assertGone(t, summary.cluster!.name);
});

kindTest(`an apiserver memory limit on kind is a real cgroup limit, and its OOM kill is detected (exit 1)${note}`, async (t) => {
  t.timeout(8 * 60_000);
  const { result, runDir, summary } = await runExperimentText(
    'kind-oom',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: kind-oom
cluster:
  provider: kind
  # The field reports' apiserver: the oldest minor (no streamed encoding yet) with the watch cache off for LISTs.
  # From 1.34 on that gate is locked on, and a 1.37 apiserver holds this flood in 500Mi.
  kubernetesVersion: ${oldestKubernetesVersion}
  memoryLimits:
    apiserver: 500Mi
  featureGates:
    ConsistentListFromCache: false
seed:
  - kind: configmaps
    count: 3000
    dataSize: 10Ki
    qps: 0
    concurrency: 30
steadyState:
  duration: 1s
faults:
  - type: list-flood
    resource: configmaps
    clients: 8
    listsPerClient: 3
    resourceVersion: ""
observe: 5s
recovery:
  timeout: 120s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
    component: apiserver
  - name: ready again within 120s
    builtin: ready-within
    within: 120s
`,
  );
  t.is(result.exitCode, 1, result.all);
  t.like(
    summary.verdicts.find((v) => v.name === 'apiserver not OOM-killed'),
    { status: 'deviated' },
  );
  t.true(summary.events.oomKills >= 1);
  const metrics = await fs.readFile(path.join(runDir, 'metrics.ndjson'), 'utf8');
  t.true(series(metrics, 'cpchaos_cgroup_memory_limit_bytes', 'apiserver').includes(500 * 1024 * 1024), 'the kubelet set the limit on the cgroup');
  await assertGone(t, summary.cluster!.name);
});

kindTest(`three control planes behind kind's load balancer: restart it and kill one apiserver while the others serve${note}`, async (t) => {
  t.timeout(10 * 60_000);
  const { result, runDir, summary } = await runExperimentText(
    'kind-ha',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: kind-ha
cluster:
  provider: kind
  controlPlanes: 3
seed:
  - kind: configmaps
    count: 100
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 15s
  - type: restart-load-balancer
    at: 3s
  - type: kill-process
    at: 8s
    component: apiserver
observe: 10s
recovery:
  timeout: 120s
hypotheses:
  - name: apiserver back within 120s
    builtin: ready-within
    within: 120s
  - name: configmaps intact
    builtin: objects-intact
`,
  );
  t.is(result.exitCode, 0, result.all);
  t.truthy(summary.cluster?.nodeImage?.loadBalancer, 'the load-balancer image is recorded');
  const events = await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8');
  t.true(events.includes('"type":"load-balancer-restarted"'));
  t.true(summary.events.restarts >= 1);
  const flood = summary.client.find((c) => c.verb === 'list' && c.resource === 'configmaps');
  t.true((flood?.codes['200'] ?? 0) > 10, `the other apiservers kept serving LISTs: ${JSON.stringify(flood?.codes)}`);
  const logs = await fs.readdir(path.join(runDir, 'logs'));
  t.is(logs.filter((l) => /-control-plane\d?$/.test(l)).length, 3, logs.join(', '));
  await assertGone(t, summary.cluster!.name);
});

/** Starts a kind run and resolves with the cluster's name once its faults begin. */
async function runUntilInject(name: string): Promise<{ child: ReturnType<typeof execa>; cluster: string }> {
  const { dir, file } = await writeExperiment(
    name,
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: ${name}
cluster:
  provider: kind
seed:
  - kind: configmaps
    count: 100
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 60s
hypotheses:
  - name: ready
    builtin: ready-within
    within: 60s
`,
  );
  const child = execa('node', [cliPath, 'run', file, '--results', dir, '--run-id', name, '--json'], { reject: false, all: true });
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('"phase":"inject"')) resolve();
    });
    void child.then(() => reject(new Error(`the run ended before its faults: ${seen}`)));
  });
  const cluster =
    String((await execa('docker', ['ps', '--format', '{{.Names}}'])).stdout)
      .split('\n')
      .find((n) => n.startsWith('cpchaos-') && n.endsWith('-control-plane'))
      ?.replace(/-control-plane$/, '') ?? '';
  return { child, cluster };
}

kindTest(`Ctrl-C in the middle of a kind run leaves no container behind (exit 130)${note}`, async (t) => {
  t.timeout(5 * 60_000);
  const { child, cluster } = await runUntilInject('kind-interrupt');
  t.truthy(cluster, 'a kind node ran');
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, String(result.all));
  await assertGone(t, cluster);
});

kindTest(`down --all reaps the kind cluster of a SIGKILLed runner${note}`, async (t) => {
  t.timeout(5 * 60_000);
  const { child, cluster } = await runUntilInject('kind-killed');
  t.truthy(cluster, 'a kind node ran');
  child.kill('SIGKILL');
  await child;
  t.true(await exists(path.join(stateDir, 'kind', cluster)), 'the killed runner left its cluster');
  const down = await runCli(['down', '--all']);
  t.is(down.exitCode, 0, down.all);
  t.regex(down.stderr, new RegExp(`${cluster}: kind cluster deleted`));
  await assertGone(t, cluster);
});
