/**
 * bench/fleet: how many simulated kubelets one runner process drives, its RSS per
 * agent, and how sharp the relist storm is after all connections are dropped.
 * Run: npm run build && node dist/bench/fleet.js [--agents 5000] [--relist cache|quorum|streaming] [--pods 1000]
 */
import { setMaxListeners } from 'node:events';
import { defaultKubernetesVersion } from '../src/binaries/versions.js';
import { LocalProvider } from '../src/cluster/local.js';
import { createFaultEnvironment } from '../src/faults/environment.js';
import type { RelistPolicy } from '../src/load/agents/informer.js';
import { seed } from '../src/load/seed.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { formatBytes } from '../src/units.js';
import { catalog } from '../src/plugins.js';

function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const agents = Number(flag('agents', '5000'));
const relist = flag('relist', 'cache') as RelistPolicy;
const pods = Number(flag('pods', '1000'));

const cluster = await new LocalProvider().up({
  kubernetesVersion: defaultKubernetesVersion,
  components: [],
  memoryLimits: {},
  apiserverArgs: {},
  featureGates: relist === 'streaming' ? { WatchList: true } : {},
});
const controller = new AbortController();
setMaxListeners(0, controller.signal);
const env = await createFaultEnvironment(cluster, { agentKinds: catalog.agents, stats: new ClientStats(), signal: controller.signal, event: () => undefined });
try {
  const { fleet, proxy, client } = env.context;
  if (pods)
    await seed([{ kind: 'pods', count: pods, qps: 0, concurrency: 50 }], { client, runId: 'bench', experimentDir: '.', quiet: true, event: () => undefined });
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  await fleet.start([{ type: 'kubelet', count: agents, relist, paginate: false, rampUpMs: 20_000 }]);
  await fleet.waitSynced(600_000);
  const stats = fleet.stats.byType.get('kubelet')!;
  while (stats.openWatches < agents) await new Promise((resolve) => setTimeout(resolve, 100));
  const syncedMs = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  global.gc?.();
  const rss = process.memoryUsage().rss;
  console.log(
    `${agents} kubelet agents (${relist} relists, ${pods} pods in the cluster): all listed and watching ${(syncedMs / 1000).toFixed(1)} s after the first started (20 s ramp-up)`,
  );
  console.log(
    `  runner RSS ${formatBytes(rss)} (${formatBytes(rss - rssBefore)} for the fleet = ${formatBytes((rss - rssBefore) / agents)} per agent); ${proxy.connections} proxied connections`,
  );

  const dropAt = Date.now();
  const dropped = proxy.drop(1);
  const deadline = Date.now() + 600_000;
  while ((stats.relists < agents || stats.openWatches < agents) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const offsets = stats.relistTimes.map((t) => t - dropAt).sort((a, b) => a - b);
  const at = (q: number) => offsets[Math.min(offsets.length - 1, Math.floor(q * offsets.length))] ?? Number.NaN;
  console.log(
    `  dropped ${dropped} connections: ${stats.relists} relists; relist finished at p50 ${(at(0.5) / 1000).toFixed(2)} s, p99 ${(at(0.99) / 1000).toFixed(2)} s, last ${(at(1) / 1000).toFixed(2)} s after the drop; all watches back after ${((Date.now() - dropAt) / 1000).toFixed(1)} s`,
  );
  console.log(`  peak runner RSS ${formatBytes(process.memoryUsage().rss)}`);
} finally {
  await env.close();
  await cluster.down();
}
