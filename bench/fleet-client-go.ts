/**
 * bench/fleet-client-go: our client-go agent model beside the real client-go (bench/fleet-go,
 * built for the same release), the same kubelets on one control plane behind one relay, in
 * interleaved rounds (ours, client-go, ours, ...). Each side is a process of its own (ours:
 * bench/fleet-node). Each round: start the fleet, sync, let the watches age, drop every
 * connection, and measure a fixed window after the drop. Reports, per side, medians of: sync
 * time (as the fleet process tells it), time until every watch is back, the apiserver's CPU in
 * the window, the fleet's CPU in it (its process, and the relay in this one), and memory per
 * agent (the fleet process's resident growth past what it held before its agents). A round whose
 * watches are not all back within the window is kept: its CPU counts, and the misses are reported.
 * `--node` runs ours on other Node.js binaries as well (comma-separated paths), each a side of
 * its own in the same interleaving, so that Node releases are compared on one control plane.
 * `--kind` takes kube-proxy or cni-agent instead of kubelets (each the full model: every informer and
 * write of the kind); `--steady` seconds of steady state are measured before each drop.
 * `--pod-objects`: each pod names a ConfigMap, a Secret and kube-root-ca.crt, which kubelets watch one by one.
 * `--identities`: both sides' agents are who the real ones are (each kubelet its node, with a certificate of the
 * cluster's CA; kube-proxies and CNI agents a kube-system ServiceAccount's token, client-go's from a token file),
 * so that the apiserver authenticates, authorizes (Node authorizer, RBAC) and classifies (APF) them as real agents.
 * `--handshakes-in-flight 0,200` runs ours once per value (comma-separated), each a side of its own in the same interleaving:
 * at most that many TLS handshakes in flight per thread (HandshakeGate; default 200, 0: no limit).
 * `--protocol http1`: both sides as client-go with DISABLE_HTTP2 (HTTP/1.1, a connection per request in flight; kubelets
 * close all their connections on repeated heartbeat failures, as the kubelet then does); default http2.
 * `--apiserver-args max-requests-inflight=20,...` starts the apiserver with those flags as well.
 * `--apiserver-cores 0.15` holds the apiserver to that share of a core in the rounds (a CPU cgroup), so that a few
 * hundred agents meet it as short of CPU as thousands do on a 2-core machine: where heartbeats time out.
 * `--pprof DIR` saves the apiserver's CPU profile over each storm window there (side-round.pb.gz),
 * to compare with `go tool pprof -top -diff_base client-go-1.pb.gz ours-1.pb.gz`.
 * Run: npm run build && node dist/bench/fleet-client-go.js [--kind kubelet] [--pprof DIR] [--agents 500] [--pods-per-node 3] [--pod-objects] [--rounds 3] [--client v1.37.2] [--steady 15] [--window 15 (seconds of storm measured)] [--metrics-reads 12 (per window, each side)] [--node /path/to/node,...] [--identities] [--workers 1 (ours' worker threads)] [--handshakes-in-flight 200,...] [--protocol http2|http1] [--apiserver-args name=value,...] [--apiserver-cores 0.15]
 */
import './help.js';
import { execa, execaSync } from 'execa';
import {
  apfDispatched,
  apiserverArgsFlag,
  benchCluster,
  downOnSignal,
  cpuSeconds,
  createNamedObjects,
  flag,
  handshakeErrors,
  median,
  protocolFlag,
  podSpecNaming,
  residentBytes,
} from './common.js';
import { buildFleetGo, fleetGoEnv } from './fleet-go-build.js';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../src/binaries/versions.js';
import { KubeApiClient } from '../src/load/client.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { LoadBalancerProxy } from '../src/load/proxy.js';
import { waitFor } from '../src/util/wait.js';
import { ensureCrds } from '../src/load/agents/crds.js';
import { Http2Wire } from '../src/load/agents/wire-http2.js';
import { kubeconfigIdentity } from '../src/load/client.js';
import { catalog } from '../src/plugins.js';
import { HandshakeGate } from '../src/load/agents/handshake-gate.js';
import { Cancellation } from '../src/util/cancellation.js';
import { clientCaFiles, clientGoIdentityArgs } from './fleet-go-identity.js';
import { limitCpu } from './cpu-quota.js';

const agents = Number(flag('agents', '500'));
const clientVersion = flag('client', defaultKubernetesVersion);
const kind = flag('kind', 'kubelet');
const steadyMs = Number(flag('steady', '15')) * 1000;
const agentKind = catalog.agents.get(kind);
if (!agentKind) throw new Error(`no agent kind ${kind}`);
const podsPerNode = Number(flag('pods-per-node', '3'));
/** Pod k of each node names ConfigMap cm-<k>, Secret secret-<k> and kube-root-ca.crt (podSpecNaming): the kubelets watch each. */
const podObjects = process.argv.includes('--pod-objects');
const podSpec = (k: number) => podSpecNaming(podObjects ? k : undefined);
/** The watches one agent holds: the apiserver's count of them says when every agent is watching. */
const watchesPerAgent =
  agentKind.model('n', new Set(), parseKubernetesVersion(clientVersion).minor).informers.length + (podObjects && kind === 'kubelet' ? 2 * podsPerNode + 1 : 0);
const rounds = Number(flag('rounds', '3'));
const windowMs = Number(flag('window', '15')) * 1000;
const pprofDir = flag('pprof', '');
/** /metrics reads in each storm window, the same for both sides. */
const metricsReads = Number(flag('metrics-reads', '12'));
const nodes = [process.execPath, ...flag('node', '').split(',').filter(Boolean)];
const identities = process.argv.includes('--identities');
/** Ours in this many worker threads; client-go's fleet uses every core as it is. */
const workers = flag('workers', '1');
/** Ours with each of these limits on the TLS handshakes in flight per thread (0: none), a side each. */
const gates = flag('handshakes-in-flight', String(HandshakeGate.defaultLimit)).split(',');
/** http1: both sides with DISABLE_HTTP2 (client-go's env, read by its transport and by the kubelet). */
const protocol = protocolFlag('http2');
/** Apiserver flags beyond the defaults (name=value,...): smaller in-flight limits make a few hundred agents' storm queue as thousands' do. */
const apiserverArgs = apiserverArgsFlag(flag('apiserver-args', ''));
/** The apiserver held to this share of a core in the rounds (0: not held), as thousands of agents hold it on this machine. */
const apiserverCores = Number(flag('apiserver-cores', '0'));

const fleetNode = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fleet-node.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Round {
  syncMs: number;
  /** CPU seconds over the steady window before the drop. */
  steadyApiserverCpu: number;
  steadyFleetCpu: number;
  /** Undefined when not every watch was back within the window: the round is kept, and the side's misses counted. */
  backMs: number | undefined;
  /** Watches still missing at the window's end (0 when every one was back). */
  missingWatches: number;
  apiserverCpu: number;
  /** The agents' process. */
  agentsCpu: number;
  /** The relay, in this process, the same for both sides. */
  relayCpu: number;
  fleetCpu: number;
  /** How often the apiserver's /metrics was read in the window. */
  metricsReads: number;
  bytesPerAgent: number;
  /** TLS handshakes the apiserver counted as errors in the window (a client that closed before finishing its own). */
  handshakeErrors: number;
  /** Connections the relay accepted in the window, and what it carried each way (KiB, reads). */
  connections: number;
  toServerKiB: number;
  toServerReads: number;
  toClientKiB: number;
  toClientReads: number;
  /** Requests API Priority and Fairness let through over the round, by FlowSchema (the runner's own reads are in `exempt`). */
  flowSchemas: Record<string, number>;
}

const metricsText = async (client: KubeApiClient) => (await client.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';

/** The WATCHes the apiserver holds open, of every resource, from its own gauge. */
async function watches(client: KubeApiClient): Promise<number> {
  const text = await metricsText(client);
  const lines = text.split('\n').filter((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('verb="WATCH"'));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').pop() ?? 0), 0);
}

// Built before the cluster starts: a build that fails leaves nothing running.
const binary = await buildFleetGo(clientVersion);
const cluster = await benchCluster({}, defaultKubernetesVersion, apiserverArgs);
let releaseCpu: (() => Promise<void>) | undefined;
downOnSignal(cluster, async () => releaseCpu?.());
try {
  const client = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  if (podObjects) await createNamedObjects(client, podsPerNode);
  for (let node = 0; node < agents; node++)
    await Promise.all(
      [...Array(podsPerNode).keys()].map((k) =>
        client.request('POST', '/api/v1/namespaces/default/pods', {
          body: { metadata: { name: `p-${node}-${k}` }, spec: { nodeName: `cpchaos-node-${node}`, ...podSpec(k) } },
        }),
      ),
    );
  const crds = agentKind.crds?.() ?? [];
  if (crds.length) {
    // Both sides find the kind's custom resources served, as the operator would have made them.
    const { tls } = await kubeconfigIdentity(cluster.kubeconfigPath);
    const wire = new Http2Wire(cluster.access.server, tls, { cancellation: new Cancellation() });
    await ensureCrds(wire, crds, new Cancellation());
    wire.close();
    await sleep(3000);
  }
  const proxy = new LoadBalancerProxy('127.0.0.1', Number(new URL(cluster.access.server).port));
  await proxy.start();
  const server = `https://127.0.0.1:${proxy.port}`;
  const relayTally = () => ({ accepted: proxy.accepted, toServer: { ...proxy.forwarded.toServer }, toClient: { ...proxy.forwarded.toClient } });
  const apiserverPid = () => cluster.processes().find((p) => p.component === 'apiserver')!.pid;
  // From here on: the objects above were made at full speed, the rounds meet the apiserver held short.
  if (apiserverCores > 0) {
    releaseCpu = await limitCpu(apiserverPid(), apiserverCores);
    console.log(`the apiserver is held to ${apiserverCores} of a core (a CPU cgroup's quota)`);
  }

  /** One round of one side: `start` returns its process's pid, its resident memory before its agents, and a stop function. */
  async function round(
    start: () => Promise<{ pid: number; baselineRss: number; syncMs: number; stop: () => Promise<void>; rss: () => number }>,
    profileName: string,
  ): Promise<Round> {
    const baseline = await watches(client);
    const dispatchedBefore = await apfDispatched(client);
    const side = await start();
    await waitFor('every agent watching', async () => (await watches(client)) >= baseline + agents * watchesPerAgent, { timeoutMs: 600_000, intervalMs: 100 });
    await sleep(3000);
    const bytesPerAgent = (side.rss() - side.baselineRss) / agents;
    const cpu = async () => ({
      apiserver: await cpuSeconds(apiserverPid()),
      self: await cpuSeconds('self'),
      side: await cpuSeconds(side.pid),
    });
    const steadyFrom = await cpu();
    await sleep(steadyMs);
    const before = await cpu();
    const relayBefore = relayTally();
    const handshakeErrorsBefore = await handshakeErrors(client);
    const dropAt = Date.now();
    const profile = pprofDir ? apiserverProfile(profileName) : Promise.resolve();
    proxy.drop(1);
    // The gauge falls as the server sees the resets, then climbs back as the agents re-watch. The
    // CPU is read over the same fixed window for both sides, so that the apiserver's own watches
    // and the runner's timers cost both the same. A /metrics read costs the apiserver tens of ms
    // (more with CRDs), so both sides get the same number of reads: every 500 ms until every
    // watch is back, then more at that pace up to `metricsReads` (a side slower than that pays
    // for its extra reads, and they are counted).
    await sleep(500);
    let backMs: number | undefined;
    let reads = 0;
    let watching = 0;
    while ((backMs === undefined || reads < metricsReads) && Date.now() - dropAt < windowMs - 500) {
      reads++;
      watching = await watches(client);
      if (backMs === undefined && watching >= baseline + agents * watchesPerAgent) backMs = Date.now() - dropAt;
      await sleep(500);
    }
    await sleep(dropAt + windowMs - Date.now());
    const after = await cpu();
    const relay = relayTally();
    const handshakeErrorsAfter = await handshakeErrors(client);
    await profile;
    await side.stop();
    const dispatched = await apfDispatched(client);
    const flowSchemas = Object.fromEntries(
      Object.entries(dispatched)
        .map(([schema, n]) => [schema, n - (dispatchedBefore[schema] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    await waitFor('every watch of the side gone', async () => (await watches(client)) <= baseline, { timeoutMs: 60_000, intervalMs: 100 });
    const agentsCpu = after.side - before.side;
    const relayCpu = after.self - before.self;
    return {
      syncMs: side.syncMs,
      steadyApiserverCpu: before.apiserver - steadyFrom.apiserver,
      steadyFleetCpu: before.side - steadyFrom.side + (before.self - steadyFrom.self),
      backMs,
      missingWatches: backMs === undefined ? baseline + agents * watchesPerAgent - watching : 0,
      apiserverCpu: after.apiserver - before.apiserver,
      agentsCpu,
      relayCpu,
      fleetCpu: agentsCpu + relayCpu,
      bytesPerAgent,
      handshakeErrors: handshakeErrorsAfter - handshakeErrorsBefore,
      metricsReads: reads,
      connections: relay.accepted - relayBefore.accepted,
      toServerKiB: (relay.toServer.bytes - relayBefore.toServer.bytes) / 1024,
      toServerReads: relay.toServer.chunks - relayBefore.toServer.chunks,
      toClientKiB: (relay.toClient.bytes - relayBefore.toClient.bytes) / 1024,
      toClientReads: relay.toClient.chunks - relayBefore.toClient.chunks,
      flowSchemas,
    };
  }

  /** The apiserver's CPU profile over the storm window, saved for `go tool pprof`. */
  async function apiserverProfile(name: string): Promise<void> {
    mkdirSync(pprofDir, { recursive: true });
    const seconds = Math.floor(windowMs / 1000);
    const response = await client.request('GET', `/debug/pprof/profile?seconds=${seconds}`, { keepBody: true, timeoutMs: windowMs + 30_000 });
    writeFileSync(path.join(pprofDir, `${name}.pb.gz`), response.body ?? Buffer.alloc(0));
  }

  /** Each side's arguments for agents that are who the real ones are; ours make their own ServiceAccount. */
  async function realIdentities(api: KubeApiClient): Promise<{ ours: string[]; clientGo: string[] }> {
    const clusterDir = path.dirname(cluster.loadKubeconfigPath);
    const create = (apiPath: string, body: object) => api.json<unknown>('POST', apiPath, { body });
    const clientGo = await clientGoIdentityArgs(clusterDir, kind, agentKind!, parseKubernetesVersion(clientVersion).minor, create);
    const { cert, key } = clientCaFiles(clusterDir);
    return { ours: ['--identities', '--client-ca-cert', cert, '--client-ca-key', key], clientGo };
  }

  /** A fleet in a child process: its pid, and a stop that prints what it says on the way out. */
  async function child(command: string, args: string[], label: string, env: Record<string, string> = {}) {
    const process_ = execa(command, args, { reject: false, stdin: 'pipe', env });
    const pid = process_.pid!;
    let said = '';
    await new Promise<void>((resolve, reject) => {
      process_.stdout?.on('data', (chunk: Buffer) => (said += chunk.toString()).includes('synced') && resolve());
      void process_.then((result) => reject(new Error(`${label} exited: ${String(result.stderr)}`)));
    });
    return {
      pid,
      baselineRss: Number(/^baseline (\d+)/m.exec(said)?.[1] ?? 0),
      syncMs: Number(/^synced (\d+)/m.exec(said)?.[1] ?? 0),
      stop: async () => {
        process_.kill('SIGTERM');
        const result = await process_;
        for (const line of String(result.stdout).split('\n')) if (/^(asked|broke|repeatedHeartbeatFailures) /.test(line)) console.log(`  ${label} ${line}`);
      },
      rss: () => residentBytes(pid),
    };
  }
  const common = ['-kubeconfig', cluster.loadKubeconfigPath, '-server', server, '-agents', String(agents), '-kind', kind];
  const { ours: oursIdentity, clientGo: clientGoIdentity } = identities ? await realIdentities(client) : { ours: [], clientGo: [] };
  const nodeVersion = (node: string) => execaSync(node, ['--version']).stdout.trim();
  const sides: [string, () => ReturnType<typeof child>][] = nodes.flatMap((node) =>
    gates.map((gate): [string, () => ReturnType<typeof child>] => {
      // Named by file as well as release: two wrappers of one Node.js (say, with different V8 flags) are two sides.
      const onNode = nodes.length > 1 ? ` on ${path.basename(node)} ${nodeVersion(node)}` : '';
      const label = `ours${onNode}${gates.length > 1 ? ` (handshakes in flight ${gate === '0' ? 'unlimited' : gate})` : ''}`;
      const args = [
        fleetNode,
        ...common.map((a) => a.replace(/^-/, '--')),
        '--client',
        clientVersion,
        '--workers',
        workers,
        '--handshakes-in-flight',
        gate,
        '--protocol',
        protocol,
      ];
      return [label, () => child(node, [...args, ...oursIdentity], label)];
    }),
  );
  sides.push(['client-go', () => child(binary, [...common, ...clientGoIdentity], 'client-go', fleetGoEnv(protocol))]);
  const results = new Map<string, Round[]>(sides.map(([name]) => [name, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, start] of sides) {
      const r = await round(start, `${name.replace(/\W+/g, '-')}-${i + 1}`);
      results.get(name)!.push(r);
      console.log(
        `round ${i + 1} ${name}: synced ${(r.syncMs / 1000).toFixed(2)} s; ${r.backMs === undefined ? `${r.missingWatches} watches not back within the ${windowMs / 1000} s window` : `watches back ${(r.backMs / 1000).toFixed(2)} s after the drop`}; storm CPU apiserver ${r.apiserverCpu.toFixed(2)} s, fleet ${r.fleetCpu.toFixed(2)} s (agents ${r.agentsCpu.toFixed(2)}, relay ${r.relayCpu.toFixed(2)}); ${(r.bytesPerAgent / 1024).toFixed(0)} KiB per agent; ${r.handshakeErrors} handshake errors; ${r.metricsReads} /metrics reads; relay: ${r.connections} connections, to the apiserver ${r.toServerKiB.toFixed(0)} KiB in ${r.toServerReads} reads, back ${r.toClientKiB.toFixed(0)} KiB in ${r.toClientReads}; requests by FlowSchema ${JSON.stringify(r.flowSchemas)}`,
      );
    }
  }
  // backMs: the median of the rounds whose every watch was back; the misses are counted below.
  const med = (name: string, key: Exclude<keyof Round, 'flowSchemas'>) => median(results.get(name)!.flatMap((r) => (r[key] === undefined ? [] : [r[key]])));
  const missed = (name: string) => results.get(name)!.filter((r) => r.backMs === undefined).length;
  console.log(
    `\n${agents} ${kind} agents${identities ? ' as their real users' : ''}${protocol === 'http1' ? ' over HTTP/1.1 (DISABLE_HTTP2)' : ''} (client ${clientVersion}, ${podsPerNode} pods per node${podObjects ? `, each naming 3 objects: ${2 * podsPerNode + 1} object watches per kubelet` : ''}), medians of ${rounds} interleaved rounds: each side / client-go`,
  );
  for (const [name] of sides.slice(0, -1)) {
    console.log(name);
    for (const key of [
      'syncMs',
      'steadyApiserverCpu',
      'steadyFleetCpu',
      'backMs',
      'missingWatches',
      'apiserverCpu',
      'fleetCpu',
      'agentsCpu',
      'relayCpu',
      'bytesPerAgent',
      'handshakeErrors',
      'connections',
      'toServerKiB',
      'toServerReads',
      'toClientKiB',
      'toClientReads',
    ] as const) {
      const [mine, theirs] = [med(name, key), med('client-go', key)];
      // A ratio to nothing (client-go idle at rest, no handshake errors) says nothing.
      console.log(`  ${key}: ${mine.toFixed(2)} / ${theirs.toFixed(2)}${theirs > 0 ? ` = ${(mine / theirs).toFixed(2)}x` : ''}`);
    }
    console.log(`  rounds not all back within the ${windowMs / 1000} s window: ${missed(name)} / ${missed('client-go')} of ${rounds}`);
  }
  await proxy.stop();
} finally {
  await cluster.down();
  await releaseCpu?.();
}
