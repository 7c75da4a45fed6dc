/**
 * bench/connection-floor: what one agent's connection costs in Node before any agent code runs
 * on it, against the real apiserver: resident memory per idle connection (a bare TLS socket,
 * and an HTTP/2 session holding one pod watch, as every client-go agent does) and the CPU of
 * opening it. The floor under the fleet's memory and CPU per agent on this Node.js release;
 * run it with another Node (bench/node-releases.sh) to compare releases.
 * One kind of connection per process: memory a process has freed stays resident and would be
 * counted for the next kind.
 * Run: npm run build && node --expose-gc dist/bench/connection-floor.js --kind tls|http2 [--connections 1000]
 */
import './help.js';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { benchCluster, downOnSignal, cpuSeconds, flag, residentBytes } from './common.js';
import { kubeconfigIdentity } from '../src/load/client.js';
import { connectTls, type TlsMaterial } from '../src/load/transports/types.js';

const connections = Number(flag('connections', '1000'));
const kind = flag('kind', 'http2');
const batch = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const gc = () => (globalThis as { gc?: () => void }).gc?.();

type Opened = { close(): void };

function tlsSocket(server: URL, tls: TlsMaterial): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connectTls(server, tls, ['h2']);
    socket.once('secureConnect', () => resolve({ close: () => socket.destroy() }));
    socket.once('error', reject);
  });
}

function watchingSession(server: URL, tls: TlsMaterial): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(server.origin, { createConnection: (authority: URL) => connectTls(authority, tls, ['h2']) });
    session.once('error', reject);
    const path = '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dfloor&watch=1&allowWatchBookmarks=true';
    const stream = session.request({ ':path': path, accept: 'application/vnd.kubernetes.protobuf, application/json' });
    stream.on('data', () => undefined);
    stream.once('response', () => resolve({ close: () => session.destroy() }));
    stream.once('error', reject);
  });
}

const cluster = await benchCluster();
downOnSignal(cluster);
try {
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const server = new URL(cluster.access.server);
  console.log(`${connections} connections on Node.js ${process.version} (OpenSSL ${process.versions.openssl}), ${batch} opened at a time`);
  const kinds = { tls: ['bare TLS socket', tlsSocket], http2: ['HTTP/2 session with one watch', watchingSession] } as const;
  if (!(kind in kinds)) throw new Error(`--kind is tls or http2, not ${kind}`);
  const [name, open] = kinds[kind as keyof typeof kinds];
  (await open(server, tls)).close(); // the first connection's one-time costs (contexts, modules) are not the floor
  gc();
  await sleep(500);
  const rss0 = residentBytes('self');
  const cpu0 = await cpuSeconds('self');
  const held: Opened[] = [];
  for (let i = 0; i < connections; i += batch) held.push(...(await Promise.all([...Array(Math.min(batch, connections - i))].map(() => open(server, tls)))));
  const cpu = (await cpuSeconds('self')) - cpu0;
  gc();
  await sleep(1000);
  gc();
  const rss = residentBytes('self') - rss0;
  console.log(
    `  ${name}: ${(rss / connections / 1024).toFixed(1)} KiB resident per idle connection, ${((cpu / connections) * 1000).toFixed(2)} ms CPU to open one`,
  );
  for (const connection of held) connection.close();
} finally {
  await cluster.down();
}
