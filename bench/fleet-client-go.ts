/**
 * bench/fleet-client-go: our client-go agent model beside the real client-go (bench/fleet-go,
 * built for the same release), the same kubelets on one control plane behind one relay,
 * in interleaved rounds (ours, client-go, ours, ...). Each round: start the fleet, sync, let
 * the watches age, drop every connection and wait until every watch is back. Reports, per
 * side, medians of: sync time, time until every watch is back after the drop, the apiserver's
 * CPU in the storm, the fleet's CPU in the storm (ours: this process, which also runs the relay;
 * client-go's: its process plus this one's), and memory per agent.
 * Run: npm run build && node dist/bench/fleet-client-go.js [--agents 500] [--pods-per-node 3] [--rounds 3] [--client v1.37.2]
 */
import fs from 'node:fs/promises';
import { execa } from 'execa';
import { benchCluster, cpuSeconds, flag, median } from './common.js';
import { buildFleetGo } from './fleet-go-build.js';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../src/binaries/versions.js';
import { clientModel } from '../src/load/agents/reflector.js';
import { ApiClient, kubeconfigIdentity } from '../src/load/client.js';
import { Fleet } from '../src/load/fleet.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { LoadBalancerProxy } from '../src/load/proxy.js';
import { catalog } from '../src/plugins.js';

const agents = Number(flag('agents', '500'));
const podsPerNode = Number(flag('pods-per-node', '3'));
const rounds = Number(flag('rounds', '3'));
const clientVersion = flag('client', defaultKubernetesVersion);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Round {
  syncMs: number;
  backMs: number;
  apiserverCpu: number;
  fleetCpu: number;
  bytesPerAgent: number;
}

/** The pod WATCHes the apiserver holds open, from its own gauge. */
async function podWatches(client: ApiClient): Promise<number> {
  const text = (await client.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  const line = text.split('\n').find((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('resource="pods"') && l.includes('verb="WATCH"'));
  return Number(line?.split(' ').pop() ?? 0);
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(100);
  }
}

const cluster = await benchCluster();
const binary = await buildFleetGo(clientVersion);
try {
  const client = await ApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  for (let node = 0; node < agents; node++)
    await Promise.all(
      [...Array(podsPerNode).keys()].map((k) =>
        client.request('POST', '/api/v1/namespaces/default/pods', {
          body: { metadata: { name: `p-${node}-${k}` }, spec: { nodeName: `cpchaos-node-${node}`, containers: [{ name: 'c', image: 'none' }] } },
        }),
      ),
    );
  const proxy = new LoadBalancerProxy('127.0.0.1', Number(new URL(cluster.access.server).port));
  await proxy.start();
  const server = `https://127.0.0.1:${proxy.port}`;
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const apiserverPid = () => cluster.processes().find((p) => p.component === 'apiserver')!.pid;
  const model = { ...clientModel(parseKubernetesVersion(clientVersion).minor), protocol: 'http2' as const };

  /** One round of one side: `start` returns its process's pid (or 'self') and a stop function. */
  async function round(start: () => Promise<{ pid: number | 'self'; stop: () => Promise<void>; rss: () => Promise<number> }>): Promise<Round> {
    const baseline = await podWatches(client);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const side = await start();
    await until(async () => (await podWatches(client)) >= baseline + agents, 600_000);
    const syncMs = Date.now() - started;
    await sleep(3000);
    global.gc?.();
    const bytesPerAgent = ((await side.rss()) - (side.pid === 'self' ? rssBefore : 0)) / agents;
    const cpu = async () => ({
      apiserver: await cpuSeconds(apiserverPid()),
      self: await cpuSeconds('self'),
      side: side.pid === 'self' ? 0 : await cpuSeconds(side.pid),
    });
    const before = await cpu();
    const dropAt = Date.now();
    proxy.drop(1);
    // The gauge falls as the server sees the resets, then climbs back as the agents re-watch.
    await sleep(500);
    await until(async () => (await podWatches(client)) >= baseline + agents, 600_000);
    const backMs = Date.now() - dropAt;
    const after = await cpu();
    await side.stop();
    await until(async () => (await podWatches(client)) <= baseline, 60_000);
    if (side.pid !== 'self')
      console.log(`  client-go's fleet CPU: ${(after.side - before.side).toFixed(2)} s, the relay's: ${(after.self - before.self).toFixed(2)} s`);
    return { syncMs, backMs, apiserverCpu: after.apiserver - before.apiserver, fleetCpu: after.self - before.self + after.side - before.side, bytesPerAgent };
  }

  const ours = async () => {
    const fleet = new Fleet(server, tls, catalog.agents);
    await fleet.start([{ type: 'kubelet', count: agents, relist: 'client-go', client: model, paginate: false, rampUpMs: 0 }]);
    return {
      pid: 'self' as const,
      stop: async () => {
        const kubelet = fleet.stats.byType.get('kubelet');
        console.log(
          `  ours asked ${JSON.stringify(Object.fromEntries(kubelet?.requests ?? []))}; watches ended by ${JSON.stringify(Object.fromEntries(kubelet?.breaks ?? []))}`,
        );
        await fleet.stop();
      },
      rss: async () => process.memoryUsage().rss,
    };
  };
  const theirs = async () => {
    const child = execa(binary, ['-kubeconfig', cluster.loadKubeconfigPath, '-server', server, '-agents', String(agents)], { reject: false });
    const pid = child.pid!;
    return {
      pid,
      stop: async () => {
        child.kill('SIGTERM');
        await child;
      },
      rss: async () => Number(/^VmRSS:\s+(\d+) kB/m.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    };
  };

  const results: Record<'ours' | 'client-go', Round[]> = { ours: [], 'client-go': [] };
  for (let i = 0; i < rounds; i++) {
    for (const [name, start] of [
      ['ours', ours],
      ['client-go', theirs],
    ] as const) {
      const r = await round(start);
      results[name].push(r);
      console.log(
        `round ${i + 1} ${name}: synced ${(r.syncMs / 1000).toFixed(2)} s; watches back ${(r.backMs / 1000).toFixed(2)} s after the drop; storm CPU apiserver ${r.apiserverCpu.toFixed(2)} s, fleet ${r.fleetCpu.toFixed(2)} s; ${(r.bytesPerAgent / 1024).toFixed(0)} KiB per agent`,
      );
    }
  }
  const med = (name: 'ours' | 'client-go', key: keyof Round) => median(results[name].map((r) => r[key]));
  console.log(`\n${agents} kubelets (client ${clientVersion}, ${podsPerNode} pods each), medians of ${rounds} interleaved rounds: ours / client-go`);
  for (const key of ['syncMs', 'backMs', 'apiserverCpu', 'fleetCpu', 'bytesPerAgent'] as const)
    console.log(`  ${key}: ${med('ours', key).toFixed(2)} / ${med('client-go', key).toFixed(2)} = ${(med('ours', key) / med('client-go', key)).toFixed(2)}x`);
  await proxy.stop();
} finally {
  await cluster.down();
}
