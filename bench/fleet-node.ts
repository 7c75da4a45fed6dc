/**
 * bench/fleet-node: our fleet of one agent kind in a process of its own, the twin of bench/fleet-go, so that
 * bench/fleet-client-go reads both sides' CPU and memory the same way (per process, from /proc).
 * Prints "baseline <resident bytes before the agents>", then "synced <ms>" once every agent has synced and, on SIGTERM or when its standard input
 * closes, "asked <requests by class as JSON>" and "broke <watch breaks by cause as JSON>, <n> watching" before it exits.
 * --identities: the agents are who their real counterparts are (kubelets their nodes, with certificates
 * signed by --client-ca-cert/--client-ca-key; the others ServiceAccounts made with the kubeconfig's user).
 * --workers N spreads the agents over N worker threads, as a run does on a machine with cores to spare (client-go's fleet uses every core).
 * --handshakes-in-flight N: at most N TLS handshakes in flight in each thread (HandshakeGate; default 200, 0: no limit).
 * --protocol http1: client-go with DISABLE_HTTP2 (a connection per request in flight; kubelets close them all on repeated heartbeat failures).
 * Run: node dist/bench/fleet-node.js --kubeconfig <path> --server <url> --agents <n> --client v1.37.2 [--kind kubelet|kube-proxy|cni-agent] [--workers 1]
 *   [--identities --client-ca-cert <file> --client-ca-key <file>] [--handshakes-in-flight 200] [--protocol http2|http1]
 */
import './help.js';
import fs from 'node:fs/promises';
import { flag, protocolFlag, residentBytes } from './common.js';
import { parseKubernetesVersion } from '../src/binaries/versions.js';
import { clientModel } from '../src/load/agents/reflector.js';
import { kubeconfigIdentity } from '../src/load/client.js';
import { Fleet } from '../src/load/fleet.js';
import { catalog } from '../src/plugins.js';
import { HandshakeGate } from '../src/load/agents/handshake-gate.js';

const agents = Number(flag('agents', '10'));
const kind = flag('kind', 'kubelet');
const workers = Number(flag('workers', '1'));
const handshakesInFlight = Number(flag('handshakes-in-flight', String(HandshakeGate.defaultLimit)));
// What this process holds before its agents: the bench's per-agent memory is the growth past it.
const baseline = residentBytes('self');
process.stdout.write(`baseline ${baseline}\n`);
const protocol = protocolFlag('http2');
const model = { ...clientModel(parseKubernetesVersion(flag('client', 'v1.37.2')).minor), protocol };
const { tls } = await kubeconfigIdentity(flag('kubeconfig', ''));
const clientCa = async () => ({ certPem: await fs.readFile(flag('client-ca-cert', ''), 'utf8'), keyPem: await fs.readFile(flag('client-ca-key', ''), 'utf8') });
const fleet = new Fleet(flag('server', ''), tls, catalog.agents, {
  // Worker threads make their own clients from the kubeconfig.
  identity: { kubeconfigPath: flag('kubeconfig', '') },
  ...(process.argv.includes('--identities') ? { agentIdentities: { clientCa } } : {}),
  handshakesInFlight,
});
const started = Date.now();
await fleet.start([{ type: kind, count: agents, relist: 'client-go', client: model, paginate: false, rampUpMs: 0, workers }]);
await fleet.waitSynced(600_000);
process.stdout.write(`synced ${Date.now() - started}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const stats = fleet.stats.byType.get(kind);
  process.stdout.write(`asked ${JSON.stringify(Object.fromEntries(stats?.requests ?? []))}\n`);
  // Which watches broke how, and how many are open as it stops: where a side that was not back within its window stood.
  process.stdout.write(`broke ${JSON.stringify(Object.fromEntries(stats?.breaks ?? []))}, ${stats?.openWatches ?? 0} watching\n`);
  await fleet.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop()).resume();
