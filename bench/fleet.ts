/**
 * bench/fleet: how many simulated kubelets one runner process drives, its RSS per
 * agent, and how sharp the relist storm is after all connections are dropped.
 * Also the CPU each side spends in the storm (runner, apiserver, etcd, from /proc), and
 * with --profile FILE a V8 CPU profile of the runner during the storm only (main thread);
 * --workers N spreads the agents over N worker threads; --relay puts the runner's relay between the
 * agents and the apiserver (by default they dial it and the drop resets their own sockets).
 * Run: npm run build && node dist/bench/fleet.js [--agents 5000] [--relist cache|quorum|streaming] [--pods 1000] [--profile storm.cpuprofile] [--workers 1] [--relay]
 */
import './help.js';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { benchCluster, downOnSignal, cpuSeconds, flag } from './common.js';
import { createFaultEnvironment } from '../src/faults/environment.js';
import type { RelistPolicy } from '../src/core/agent-fleet.js';
import { seed } from '../src/load/seed.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { formatBytes } from '../src/units.js';
import { catalog } from '../src/plugins.js';

const agents = Number(flag('agents', '5000'));
const relist = flag('relist', 'cache') as RelistPolicy;
const pods = Number(flag('pods', '1000'));
const profile = flag('profile', '');
const workers = Number(flag('workers', '1'));
const relay = process.argv.includes('--relay');

/** File descriptors this process holds. */
async function openFiles(): Promise<number> {
  return (await fs.readdir('/proc/self/fd')).length;
}

/** CPU seconds of the runner and each control-plane process. */
async function cpuOf(processes: { component: string; pid: number }[]): Promise<Record<string, number>> {
  const entries = await Promise.all(
    [['runner', 'self' as const] as const, ...processes.map((p) => [p.component, p.pid] as const)].map(
      async ([name, pid]) => [name, await cpuSeconds(pid)] as const,
    ),
  );
  return Object.fromEntries(entries);
}

const cluster = await benchCluster(relist === 'streaming' ? { WatchList: true } : {});
downOnSignal(cluster);
const controller = new AbortController();
setMaxListeners(0, controller.signal);
const env = await createFaultEnvironment(cluster, {
  agentKinds: catalog.agents,
  stats: new ClientStats(),
  signal: controller.signal,
  event: () => undefined,
  relay,
});
try {
  const { connections, client } = env.context;
  const { fleet } = env;
  if (pods)
    await seed([{ kind: 'pods', count: pods, qps: 0, concurrency: 50 }], { client, runId: 'bench', experimentDir: '.', quiet: true, event: () => undefined });
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  await fleet.start([{ type: 'kubelet', count: agents, relist, paginate: false, rampUpMs: 20_000, workers }]);
  await fleet.waitSynced(600_000);
  const stats = fleet.stats.byType.get('kubelet')!;
  while (stats.openWatches < agents) await new Promise((resolve) => setTimeout(resolve, 100));
  const syncedMs = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  global.gc?.();
  const rss = process.memoryUsage().rss;
  console.log(
    `${agents} kubelet agents in ${workers} thread(s) (${relist} relists, ${pods} pods in the cluster): all listed and watching ${(syncedMs / 1000).toFixed(1)} s after the first started (20 s ramp-up)`,
  );
  console.log(
    `  runner RSS ${formatBytes(rss)} (${formatBytes(rss - rssBefore)} for the fleet = ${formatBytes((rss - rssBefore) / agents)} per agent); ${await openFiles()} open files${relay ? ' (relayed)' : ''}`,
  );

  const session = new Session();
  if (profile) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const processes = cluster.host?.processes() ?? [];
  const cpuBefore = await cpuOf(processes);
  const dropAt = Date.now();
  const { reset: dropped } = await connections.reset(1);
  const deadline = Date.now() + 600_000;
  while ((stats.relists < agents || stats.openWatches < agents) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const offsets = stats.relistTimes.map((t) => t - dropAt).sort((a, b) => a - b);
  const at = (q: number) => offsets[Math.min(offsets.length - 1, Math.floor(q * offsets.length))] ?? Number.NaN;
  console.log(
    `  dropped ${dropped} connections: ${stats.relists} relists; relist finished at p50 ${(at(0.5) / 1000).toFixed(2)} s, p99 ${(at(0.99) / 1000).toFixed(2)} s, last ${(at(1) / 1000).toFixed(2)} s after the drop; all watches back after ${((Date.now() - dropAt) / 1000).toFixed(1)} s`,
  );
  const cpuAfter = await cpuOf(processes);
  if (profile) {
    const { profile: taken } = await session.post('Profiler.stop');
    await fs.writeFile(profile, JSON.stringify(taken));
    session.disconnect();
  }
  const spent = Object.entries(cpuAfter).map(([name, after]) => [name, after - (cpuBefore[name] ?? after)] as const);
  const perRelist = (seconds: number) => ((seconds / Math.max(1, stats.relists)) * 1000).toFixed(2);
  console.log(`  CPU in the storm: ${spent.map(([name, s]) => `${name} ${s.toFixed(2)} s (${perRelist(s)} ms per relist)`).join(', ')}`);
  const apiserver = spent.find(([name]) => name === 'apiserver')?.[1] ?? Number.NaN;
  const runnerSeconds = spent[0]?.[1] ?? Number.NaN;
  console.log(`  runner CPU / apiserver CPU in the storm: ${(runnerSeconds / apiserver).toFixed(2)}`);
  // What a user sizing a host needs: how many relists one core of agents can drive, and how many agents fit a GiB.
  console.log(
    `  sizing: ${(stats.relists / runnerSeconds).toFixed(0)} relists per runner core-second; ${rss > rssBefore ? `${(agents / ((rss - rssBefore) / 2 ** 30)).toFixed(0)} agents per GiB of runner memory` : 'agents per GiB not measurable (the heap shrank meanwhile)'}`,
  );
  console.log(`  peak runner RSS ${formatBytes(process.memoryUsage().rss)}`);
} finally {
  await env.close();
  await cluster.down();
}
