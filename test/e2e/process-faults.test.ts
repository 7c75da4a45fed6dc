import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { memoryLimit } from '../../src/faults/memory-limit.js';
import { pauseProcess } from '../../src/faults/pause-process.js';
import type { FaultContext } from '../../src/faults/types.js';
import { createFaultEnvironment } from '../../src/faults/environment.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import type { LocalCluster } from '../../src/cluster/local.js';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { isolatedStateDir, runExperimentText, startCluster } from '../helpers/cluster.js';
import { catalog } from '../../src/plugins.js';

test.before(async () => {
  await isolatedStateDir();
});

async function faultContext(t: ExecutionContext, cluster: LocalCluster, events: string[]): Promise<FaultContext> {
  const { context, close } = await createFaultEnvironment(cluster, {
    agentKinds: catalog.agents,
    stats: new ClientStats(),
    signal: new AbortController().signal,
    event: (type, message) => void events.push(`${type}: ${message}`),
  });
  t.teardown(close);
  return context;
}

async function processState(pid: number): Promise<string> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

test('pause-process freezes etcd (state T) and resumes it; the apiserver stalls meanwhile', async (t) => {
  const cluster = await startCluster(t);
  const events: string[] = [];
  const context = await faultContext(t, cluster, events);
  const etcdPid = cluster.processes().find((p) => p.component === 'etcd')!.pid;
  const paused = pauseProcess.run({ type: 'pause-process', duration: '3s' }, context);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.is(await processState(etcdPid), 'T', 'stopped');
  // A quorum read needs etcd: it cannot finish while etcd is frozen.
  const started = Date.now();
  const response = await context.client.request('GET', '/api/v1/namespaces/default/configmaps', { timeoutMs: 20_000 });
  const waitedMs = Date.now() - started;
  await paused;
  t.is(response.status, 200);
  t.true(waitedMs > 1500, `the LIST waited for etcd (${waitedMs} ms)`);
  t.not(await processState(etcdPid), 'T', 'resumed');
  t.deepEqual(
    events.map((e) => e.split(':')[0]),
    ['process-paused', 'process-resumed'],
  );
});

test('memory-limit changes the limit of the running apiserver and restores it', async (t) => {
  const cluster = await startCluster(t, { memoryLimits: { apiserver: 2 * 1024 ** 3 } });
  const events: string[] = [];
  const context = await faultContext(t, cluster, events);
  const cgroup = cluster.cgroupOf('apiserver')!;
  const run = memoryLimit.run({ type: 'memory-limit', limit: '1500Mi', duration: '1s' }, context);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(await cgroup.limit(), 1500 * 1024 ** 2);
  await run;
  t.is(await cgroup.limit(), 2 * 1024 ** 3);
  t.true(await cluster.ready());
});

test('kill-process: the apiserver is killed, restarted like a static pod, ready again, and the agents relist', async (t) => {
  const { result, runDir, summary } = await runExperimentText(
    'kill',
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: kill
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 50
agents:
  - type: kubelet
    count: 10
    ${podsOnlyKubeletParts}
    relist: cache
    rampUp: 0s
    backoff: { initial: 200ms, max: 2s }
steadyState:
  duration: 1s
faults:
  - type: kill-process
    component: apiserver
observe: 2s
recovery:
  timeout: 45s
  observe: 6s
hypotheses:
  - name: ready within 40s
    builtin: ready-within
    within: 40s
  - name: objects intact
    builtin: objects-intact
  - name: every kubelet relisted after the restart
    metric: cpchaos_fleet_relists_total
    aggregate: increase
    window: whole
    comparator: ">="
    threshold: 10
  - name: the apiserver was down for a while
    metric: cpchaos_apiserver_ready
    aggregate: min
    window: whole
    comparator: "=="
    threshold: 0
`,
  );
  t.is(result.exitCode, 0, result.all);
  t.is(summary.events.restarts, 1);
  t.true((summary.fleet[0]?.relists ?? 0) >= 10, `relists: ${summary.fleet[0]?.relists}`);
  t.is(summary.events.oomKills, 0);
  // kubelet's first backoff is 10 s, so readiness comes back after it, not before.
  t.true((summary.recovery?.readyAfterMs ?? 0) >= 10_000, `ready after ${summary.recovery?.readyAfterMs} ms`);
  const events = (await fs.readFile(path.join(runDir, 'events.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; signal?: string });
  t.is(events.find((e) => e.type === 'exited')?.signal, 'SIGKILL');
  t.true(events.some((e) => e.type === 'started'));
});
