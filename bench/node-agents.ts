/**
 * bench/node-agents: a cluster of N nodes as its node agents load the control plane: each node a
 * kubelet, a kube-proxy and a CNI agent (client-go's reflectors over one direct HTTP/2 connection
 * each, their Lease renewals and Node status), all in this runner. It reports how long they take
 * to sync, the runner's memory and open files per agent, the steady writes, the apiserver's and
 * etcd's CPU and memory at rest, and the storm when every agent connection is reset at once.
 * Run: npm run build && node --expose-gc dist/bench/node-agents.js [--nodes 5000] [--kinds kubelet,kube-proxy,cni-agent]
 *   [--pods-per-node 0] [--pod-objects] [--rest 60] [--ramp 60] [--workers 1] [--off cni-agent:ciliumNodes,...] [--load-identity]
 *   [--apiserver-args max-requests-inflight=1500,max-mutating-requests-inflight=500] [--handshakes-in-flight 200 (per thread; 0: no limit)] [--storm-limit 900 (s)] [--watching 1]
 * Each kubelet connects as its node (system:node:<name>) and the other kinds as ServiceAccounts in kube-system, as the
 * real agents do; --load-identity runs every agent as the runner's one load identity instead (what this bench did before).
 * --apiserver-args gives kube-apiserver flags, as large clusters raise its in-flight limits (APF divides those among priority levels).
 * --watching 0.99 takes the fleet as synced, and as back after the reset, once that share of its informers watch at once.
 * Until every agent watches it prints a line a minute (agents started, informers synced and watching by kind, APF's
 * refusals, the runner's heap, the apiserver's memory and CPU), and that line once more when interrupted.
 */
import './help.js';
import fs from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import {
  apfRejections,
  apiserverArgsFlag,
  benchCluster,
  cpuSeconds,
  createNamedObjects,
  flag,
  handshakeErrors,
  podSpecNaming,
  residentBytes,
} from './common.js';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../src/binaries/versions.js';
import { createFaultEnvironment } from '../src/faults/environment.js';
import { clientModel } from '../src/load/agents/reflector.js';
import { nodeName } from '../src/load/fleet.js';
import { podObjectsType } from '../src/load/agents/pod-object-watches.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { catalog } from '../src/plugins.js';
import { HandshakeGate } from '../src/load/agents/handshake-gate.js';
import { formatBytes } from '../src/units.js';
import type { Fleet } from '../src/load/fleet.js';
import type { ApiClient } from '../src/core/api-client.js';

const nodes = Number(flag('nodes', '5000'));
const kinds = flag('kinds', 'kubelet,kube-proxy,cni-agent').split(',');
const podsPerNode = Number(flag('pods-per-node', '0'));
/** ConfigMaps and Secrets the pods name: a prime, so that the pods of one node (i, i + nodes, ...) name different ones. */
const objectNames = 47;
/** Pod i names ConfigMap cm-<i % objectNames>, Secret secret-<i % objectNames> and kube-root-ca.crt (podSpecNaming). */
const podObjects = process.argv.includes('--pod-objects');
const podSpec = (index: number) => podSpecNaming(podObjects ? index % objectNames : undefined);
const restS = Number(flag('rest', '60'));
const rampS = Number(flag('ramp', '60'));
const workers = Number(flag('workers', '1'));
/**
 * The share of the informers that must watch at once for the fleet to count as synced, and as back after the reset: 1,
 * all of them. At 5,000 nodes on 2 cores the kubelets' watches that end wait out APF's 429s to open again, and a few
 * hundred are always missing: below 1 such a fleet still reaches its rest and reset, and the share is printed.
 */
const watchingShare = Number(flag('watching', '1'));
/** How long the reset is waited for before the bench says it was not back. */
const stormLimitMs = Number(flag('storm-limit', '900')) * 1000;
const apiserverArgs = apiserverArgsFlag(flag('apiserver-args', ''));
/** TLS handshakes each of the runner's threads may have in flight (HandshakeGate); 0, as many as the agents dial. */
const handshakesInFlight = Number(flag('handshakes-in-flight', String(HandshakeGate.defaultLimit)));
/** Parts switched off, as kind:part pairs (cni-agent:ciliumNodes,...). */
const off = flag('off', '')
  .split(',')
  .filter(Boolean)
  .map((pair) => pair.split(':') as [string, string]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const openFiles = async () => (await fs.readdir('/proc/self/fd')).length;

/** CPU seconds of the runner, the apiserver and etcd. */
async function cpu(pids: { apiserver: number; etcd: number }): Promise<Record<string, number>> {
  return { runner: await cpuSeconds('self'), apiserver: await cpuSeconds(pids.apiserver), etcd: await cpuSeconds(pids.etcd) };
}

function cores(before: Record<string, number>, after: Record<string, number>, seconds: number): string {
  return Object.keys(after)
    .map((name) => `${name} ${((after[name]! - before[name]!) / seconds).toFixed(2)}`)
    .join(', ');
}

/** Distinct objects the pods of each node name: node n holds pods n, n + nodes, ...; pod i names cm-<i % objectNames>, secret-<i % objectNames> and kube-root-ca.crt. */
function objectWatchCount(): number {
  let count = 0;
  for (let node = 0; node < nodes; node++) {
    const slots = new Set<number>();
    for (let i = node; i < nodes * podsPerNode; i += nodes) slots.add(i % objectNames);
    if (slots.size) count += 2 * slots.size + 1;
  }
  return count;
}

/** One line a minute until every agent watches: how far each kind got, what APF refused, what the processes hold. */
function progressReporter(fleet: Fleet, client: ApiClient, pids: { apiserver: number; etcd: number }): { line(): Promise<string>; stop(): void } {
  const started = Date.now();
  let last = { at: Date.now(), cpu: undefined as Record<string, number> | undefined };
  const line = async () => {
    const kindsNow = [...fleet.stats.byType]
      .map(([type, s]) => `${type} ${s.agents} started, ${s.lists - s.relists} informers synced, ${s.openWatches} watching`)
      .join('; ');
    const now = { at: Date.now(), cpu: await cpu(pids) };
    const busy = last.cpu ? `; cores over the last ${((now.at - last.at) / 1000).toFixed(0)} s: ${cores(last.cpu, now.cpu, (now.at - last.at) / 1000)}` : '';
    last = now;
    const heap = formatBytes(process.memoryUsage().heapUsed);
    const rejected = JSON.stringify(await apfRejections(client).catch(() => ({})));
    return `  [${((Date.now() - started) / 1000).toFixed(0)} s] ${kindsNow}; APF refused ${rejected}; runner heap ${heap}, apiserver ${formatBytes(residentBytes(pids.apiserver))}${busy}`;
  };
  const timer = setInterval(() => void line().then((text) => console.log(text)), 60_000);
  return { line, stop: () => clearInterval(timer) };
}

const cluster = await benchCluster({}, defaultKubernetesVersion, apiserverArgs);
const controller = new AbortController();
setMaxListeners(0, controller.signal);
const env = await createFaultEnvironment(cluster, {
  agentKinds: catalog.agents,
  stats: new ClientStats(),
  signal: controller.signal,
  event: () => undefined,
  agentIdentities: !process.argv.includes('--load-identity'),
  handshakesInFlight,
}).catch(async (error: unknown) => {
  await cluster.down();
  throw error;
});
const pids = { apiserver: cluster.state.processes.apiserver!.pid, etcd: cluster.state.processes.etcd!.pid };
const progress = progressReporter(env.fleet, env.context.client, pids);
// A bench stopped early (Ctrl-C, timeout -s INT) says where it stood, and still takes its control plane down.
// `on`, not `once`: execa's signal-exit kills the process again when it finds no listener but its own (bench/common.ts).
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  progress.stop();
  void progress
    .line()
    .then((text) => console.log(`interrupted here:\n${text}\nstopping the agents and the control plane`))
    .catch(() => undefined)
    .then(() => env.close())
    .finally(() => cluster.down())
    .finally(() => process.exit(130));
});
// A crash takes the control plane down too (a run that overflowed the stack as its agents stopped left it running);
// the agents may be what crashed, so it goes down without waiting on them.
process.on('uncaughtException', (error) => {
  console.error(error);
  if (interrupted) return;
  interrupted = true;
  progress.stop();
  void cluster.down().finally(() => process.exit(1));
});
try {
  const { client, connections } = env.context;
  const { fleet } = env;
  const memory = () => `apiserver ${formatBytes(residentBytes(pids.apiserver))}, etcd ${formatBytes(residentBytes(pids.etcd))}`;
  if (podObjects) await createNamedObjects(client, objectNames);
  for (let i = 0; i < nodes * podsPerNode; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, nodes * podsPerNode - i) }, (_, k) =>
        client.request('POST', '/api/v1/namespaces/default/pods', {
          body: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `p-${i + k}` },
            spec: { nodeName: nodeName((i + k) % nodes), ...podSpec(i + k) },
          },
          keepBody: false,
          verb: 'create',
        }),
      ),
    );
  const agents = nodes * kinds.length;
  const identity = process.argv.includes('--load-identity')
    ? 'the one load identity'
    : 'their own identities (each kubelet its node, the others ServiceAccounts)';
  const rssBefore = process.memoryUsage().rss;
  const filesBefore = await openFiles();
  const started = Date.now();
  const model = { ...clientModel(parseKubernetesVersion(defaultKubernetesVersion).minor), protocol: 'http2' as const };
  const first = fleet.allocateNodes(nodes);
  await fleet.start(
    kinds.map((type) => ({
      type,
      off: off.filter(([kind]) => kind === type).map(([, part]) => part),
      count: nodes,
      firstIndex: first,
      relist: 'client-go' as const,
      client: model,
      paginate: false,
      rampUpMs: rampS * 1000,
      workers,
    })),
  );
  await fleet.waitSynced(1_800_000);
  // The kubelets' Secret and ConfigMap watches: one per object a node's pods name, counted apart from their informers.
  const objectWatches = () => fleet.stats.byType.get(podObjectsType('kubelet'))?.openWatches ?? 0;
  const expectedObjectWatches =
    podObjects && kinds.includes('kubelet') && !off.some(([k, p]) => k === 'kubelet' && p === 'podObjects') ? objectWatchCount() : 0;
  // After the first sync, an informer's first LISTs (lists less relists) count its informers.
  const shareWatching = () => {
    let watching = 0;
    let informers = 0;
    for (const [type, s] of fleet.stats.byType) {
      if (type === podObjectsType('kubelet')) continue;
      watching += s.openWatches;
      informers += s.lists - s.relists;
    }
    return watching / Math.max(1, informers);
  };
  const informersWatching = () => (watchingShare >= 1 ? fleet.watching() : shareWatching() >= watchingShare);
  const allWatching = (objects = expectedObjectWatches) => informersWatching() && objectWatches() >= objects;
  while (!allWatching()) await sleep(200);
  const syncedS = (Date.now() - started) / 1000;
  progress.stop();
  await sleep(5000);
  global.gc?.();
  const rss = process.memoryUsage().rss;
  console.log(
    `${nodes} nodes x ${kinds.join(' + ')} = ${agents} agents, ${podsPerNode * nodes} pods bound to them${expectedObjectWatches ? ` (the kubelets watch ${expectedObjectWatches} objects they name)` : ''}: all synced and ${watchingShare >= 1 ? 'all' : `${(shareWatching() * 100).toFixed(2)} % (at least ${watchingShare * 100} %)`} watching ${syncedS.toFixed(1)} s after the first started (${rampS} s ramp-up)`,
  );
  const raised = Object.entries(apiserverArgs).map(([name, value]) => `--${name}=${value}`);
  console.log(
    `  agents as ${identity}; apiserver flags beyond the defaults: ${raised.join(' ') || 'none'}; TLS handshakes in flight per thread: ${handshakesInFlight || 'no limit'}`,
  );
  console.log(`  requests API Priority and Fairness refused so far, by priority level: ${JSON.stringify(await apfRejections(client))}`);
  console.log(
    `  runner RSS ${formatBytes(rss)} (${formatBytes(rss - rssBefore)} for the agents = ${formatBytes((rss - rssBefore) / agents)} per agent); ${(await openFiles()) - filesBefore} more open files (${(((await openFiles()) - filesBefore) / agents).toFixed(2)} per agent)`,
  );

  const requests = () => new Map([...fleet.requestCounts()].flatMap(([type, counts]) => [...counts].map(([what, n]) => [`${type} ${what}`, n] as const)));
  const before = { requests: requests(), cpu: await cpu(pids) };
  await sleep(restS * 1000);
  const atRest = await cpu(pids);
  const rates = [...requests()]
    .map(([what, n]) => [what, (n - (before.requests.get(what) ?? 0)) / restS] as const)
    .filter(([, rate]) => rate > 0)
    .map(([what, rate]) => `${what} ${rate.toFixed(1)}/s`);
  // Past 5 minutes unread a kubelet stops the watch of an object only env names: the reset is waited for against those still open.
  const objectWatchesAtRest = objectWatches();
  console.log(
    `  at rest over ${restS} s: CPU in cores: ${cores(before.cpu, atRest, restS)}; ${memory()}${expectedObjectWatches ? `; ${objectWatchesAtRest} object watches open` : ''}`,
  );
  console.log(`  steady requests: ${rates.join(', ') || 'none'}`);

  const stats = () => [...fleet.stats.byType.values()];
  const watchesBefore = stats().reduce((sum, s) => sum + (s.requests.get('WATCH rv=last-synced') ?? 0), 0);
  const dialled = () =>
    stats().reduce(
      (sum, s) => ({
        first: sum.first + s.connections,
        spares: sum.spares + s.spareConnections,
        withheld: sum.withheld + s.withheldSpares,
        keptSpares: sum.keptSpares + s.keptSpares,
        failed: sum.failed + s.failedDials,
      }),
      { first: 0, spares: 0, withheld: 0, keptSpares: 0, failed: 0 },
    );
  const dialledBefore = dialled();
  const handshakeErrorsBefore = await handshakeErrors(client);
  const stormCpu = await cpu(pids);
  // Every watch open at the reset breaks, and none is back without a new watch request. Worker threads report their
  // stats every 100 ms of a free event loop: in a storm that saturates them, the counts read here are seconds old, and
  // still say "watching" from before the reset. So the storm ends only once the agents have asked for as many watches.
  const watchRequests = () => stats().reduce((sum, s) => sum + [...s.requests].reduce((n, [what, count]) => n + (what.startsWith('WATCH') ? count : 0), 0), 0);
  const openAtReset = stats().reduce((sum, s) => sum + s.openWatches, 0);
  const watchRequestsBefore = watchRequests();
  const resetAt = Date.now();
  const { reset } = await connections.reset(1);
  const back = () => watchRequests() - watchRequestsBefore >= openAtReset && allWatching(objectWatchesAtRest);
  while (!back() && Date.now() - resetAt < stormLimitMs) await sleep(200);
  const stormS = (Date.now() - resetAt) / 1000;
  const rewatches = stats().reduce((sum, s) => sum + (s.requests.get('WATCH rv=last-synced') ?? 0), 0) - watchesBefore;
  const relists = stats().reduce((sum, s) => sum + s.relists, 0);
  const outcome = back()
    ? `${watchingShare >= 1 ? 'every informer' : `${(shareWatching() * 100).toFixed(2)} % of the informers`} watching again after ${stormS.toFixed(1)} s`
    : `NOT every informer watching again within ${stormS.toFixed(0)} s (${watchRequests() - watchRequestsBefore} of ${openAtReset} watches asked again)`;
  console.log(
    `  reset ${reset} connections: ${outcome}; ${rewatches} re-watches, ${relists} relists; CPU in cores meanwhile: ${cores(stormCpu, await cpu(pids), stormS)}; ${memory()}`,
  );
  const dialledInStorm = dialled();
  const inStorm = (key: keyof typeof dialledInStorm) => dialledInStorm[key] - dialledBefore[key];
  console.log(
    `  TLS connections the agents dialled meanwhile: ${inStorm('first')} first dials, ${inStorm('spares')} spares (dialled while one was in flight; the first to connect is kept, the others closed), ${inStorm('withheld')} spares withheld for want of file descriptors; ${inStorm('keptSpares')} spares kept, ${inStorm('failed')} dials that never finished their handshake`,
  );
  console.log(
    `  TLS handshakes the apiserver counted as failed meanwhile (apiserver_tls_handshake_errors_total; its log names them only at -v=5): ${(await handshakeErrors(client)) - handshakeErrorsBefore}`,
  );
  console.log(`  requests API Priority and Fairness refused since the start, by priority level: ${JSON.stringify(await apfRejections(client))}`);
  const breaks = new Map<string, number>();
  const messages = new Map<string, string>();
  for (const s of stats()) {
    for (const [reason, n] of s.breaks) breaks.set(reason, (breaks.get(reason) ?? 0) + n);
    for (const [reason, message] of s.failureMessages) if (!messages.has(reason)) messages.set(reason, message);
  }
  console.log(
    `  runner RSS after the storm ${formatBytes(residentBytes('self'))}; watches ended and failed requests by reason: ${JSON.stringify(Object.fromEntries(breaks))}`,
  );
  console.log(`  what the apiserver said, the first time, for each answer that failed a request: ${JSON.stringify(Object.fromEntries(messages))}`);
} finally {
  progress.stop();
  await env.close();
  await cluster.down();
}
