/**
 * bench/relist-floor: what one relist's connection costs any Node client, whatever
 * the fleet around it does. Each request is what a relisting agent sends after a
 * load balancer drop: a new TCP connection, a full TLS handshake (client
 * certificate, no session resumption) and one LIST of its node's pods. Compares
 * node:https (as the fleet uses it) with the least a Node client can do (tls.connect
 * and one hand-written HTTP/1.1 request), interleaved, and reports the runner's and
 * the apiserver's CPU per request from /proc.
 * Run: npm run build && node dist/bench/relist-floor.js [--requests 1500] [--rounds 3]
 */
import https from 'node:https';
import tls from 'node:tls';
import { benchCluster, cpuSeconds, flag } from './common.js';
import { kubeconfigIdentity } from '../src/load/client.js';

const requests = Number(flag('requests', '1500'));
const rounds = Number(flag('rounds', '3'));
const concurrency = 50;

const cluster = await benchCluster();
try {
  const { tls: material } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const server = new URL(cluster.access.server);
  const secureContext = tls.createSecureContext({ ca: material.ca, cert: material.cert, key: material.key });
  const path = (i: number) => `/api/v1/pods?fieldSelector=spec.nodeName%3Dcpchaos-node-${i}`;
  const ways: Record<string, (i: number) => Promise<number>> = {
    'node:https': (i) =>
      new Promise((resolve, reject) => {
        const agent = new https.Agent({ keepAlive: false, maxCachedSessions: 0, secureContext });
        https
          .get(`${cluster.access.server}${path(i)}`, { agent }, (response) => {
            response.resume();
            response.on('end', () => {
              agent.destroy();
              resolve(response.statusCode ?? 0);
            });
          })
          .on('error', reject);
      }),
    'tls.connect': (i) =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: server.hostname, port: Number(server.port), secureContext });
        socket.on('secureConnect', () =>
          socket.write(`GET ${path(i)} HTTP/1.1\r\nHost: ${server.host}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`),
        );
        let head = '';
        socket.on('data', (chunk: Buffer) => {
          if (head.length < 12) head += chunk.toString('latin1', 0, 12);
        });
        socket.on('end', () => {
          socket.destroy();
          resolve(Number(head.slice(9, 12)));
        });
        socket.on('error', reject);
      }),
  };
  const apiserverPid = cluster.host!.processes().find((p) => p.component === 'apiserver')!.pid;
  const results = new Map<string, { runner: number; apiserver: number }[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, send] of Object.entries(ways)) {
      const [runner0, apiserver0] = [await cpuSeconds('self'), await cpuSeconds(apiserverPid)];
      let next = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < requests) if ((await send(next++)) !== 200) failed++;
        }),
      );
      if (failed) throw new Error(`${name}: ${failed} requests not answered 200`);
      const runner = ((await cpuSeconds('self')) - runner0) / requests;
      const apiserver = ((await cpuSeconds(apiserverPid)) - apiserver0) / requests;
      results.set(name, [...(results.get(name) ?? []), { runner, apiserver }]);
      console.log(
        `round ${round + 1} ${name}: runner ${(runner * 1000).toFixed(2)} ms, apiserver ${(apiserver * 1000).toFixed(2)} ms per connection + LIST (ratio ${(runner / apiserver).toFixed(2)})`,
      );
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const [name, rows] of results) {
    console.log(
      `median ${name}: runner ${(median(rows.map((r) => r.runner)) * 1000).toFixed(2)} ms, apiserver ${(median(rows.map((r) => r.apiserver)) * 1000).toFixed(2)} ms, ratio ${median(rows.map((r) => r.runner / r.apiserver)).toFixed(2)}`,
    );
  }
} finally {
  await cluster.down();
}
