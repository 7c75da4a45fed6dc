/**
 * bench/relist-floor: what one relist's connection costs any Node client, whatever
 * the fleet around it does. Each request is what a relisting agent sends after a
 * load balancer drop: a new TCP connection, a full TLS handshake (client
 * certificate, no session resumption) and one LIST of its node's pods. Compares
 * node:https (as the fleet uses it) with the least a Node client can do (tls.connect
 * and one hand-written HTTP/1.1 request), interleaved, and reports the runner's and
 * the apiserver's CPU per request from /proc. With --go, also the same with Go's
 * crypto/tls (bench/relist-floor-go, built here with the Go toolchain; its CPU from
 * getrusage): what an agent fleet written in Go would pay.
 * Run: npm run build && node dist/bench/relist-floor.js [--requests 1500] [--rounds 3] [--go]
 */
import './help.js';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import nodePath from 'node:path';
import tls from 'node:tls';
import { execa } from 'execa';
import { benchCluster, downOnSignal, cpuSeconds, flag } from './common.js';
import { kubeconfigIdentity } from '../src/load/client.js';

const requests = Number(flag('requests', '1500'));
const rounds = Number(flag('rounds', '3'));
const withGo = process.argv.includes('--go');
const concurrency = 50;
const repoRoot = nodePath.resolve(import.meta.dirname, '..', '..');

/** n requests, `concurrency` at a time; throws unless every one was answered 200. */
async function batch(name: string, send: (i: number) => Promise<number>): Promise<void> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) if ((await send(next++)) !== 200) failed++;
    }),
  );
  if (failed) throw new Error(`${name}: ${failed} requests not answered 200`);
}

const cluster = await benchCluster();
const scratch = await fs.mkdtemp(nodePath.join(os.tmpdir(), 'cpchaos-relist-floor-'));
downOnSignal(cluster, () => fs.rm(scratch, { recursive: true, force: true }));
try {
  const { tls: material } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const server = new URL(cluster.access.server);
  const secureContext = tls.createSecureContext({ ca: material.ca, cert: material.cert, key: material.key });
  const path = (i: number) => `/api/v1/pods?fieldSelector=spec.nodeName%3Dcpchaos-node-${i}`;
  const nodeHttps = (i: number) =>
    new Promise<number>((resolve, reject) => {
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
    });
  const tlsConnect = (i: number) =>
    new Promise<number>((resolve, reject) => {
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
    });
  /** Each way runs one batch and answers the CPU seconds its client spent. */
  const inProcess = (name: string, send: (i: number) => Promise<number>) => async () => {
    const before = await cpuSeconds('self');
    await batch(name, send);
    return (await cpuSeconds('self')) - before;
  };
  const ways: Record<string, () => Promise<number>> = {
    'node:https': inProcess('node:https', nodeHttps),
    'tls.connect': inProcess('tls.connect', tlsConnect),
  };
  if (withGo) ways['go crypto/tls'] = await goWay(scratch, material, server);
  const apiserverPid = cluster.host!.processes().find((p) => p.component === 'apiserver')!.pid;
  const results = new Map<string, { runner: number; apiserver: number }[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(ways)) {
      const apiserver0 = await cpuSeconds(apiserverPid);
      const runner = (await run()) / requests;
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
  await fs.rm(scratch, { recursive: true, force: true });
}

/** Builds bench/relist-floor-go and returns a way that runs one batch in it. */
async function goWay(dir: string, material: Awaited<ReturnType<typeof kubeconfigIdentity>>['tls'], server: URL): Promise<() => Promise<number>> {
  const binary = nodePath.join(dir, 'relist-floor-go');
  await execa('go', ['build', '-o', binary, '.'], { cwd: nodePath.join(repoRoot, 'bench', 'relist-floor-go'), env: { GOFLAGS: '-mod=mod' } });
  const files = { ca: material.ca, cert: material.cert, key: material.key };
  for (const [name, value] of Object.entries(files)) await fs.writeFile(nodePath.join(dir, name), String(value), { mode: 0o600 });
  return async () => {
    const { stdout } = await execa(binary, [
      `--address=127.0.0.1:${server.port}`,
      `--host=${server.host}`,
      ...Object.keys(files).map((name) => `--${name}=${nodePath.join(dir, name)}`),
      `--requests=${requests}`,
      `--concurrency=${concurrency}`,
    ]);
    const result = JSON.parse(stdout) as { cpuSeconds: number; failed: number };
    if (result.failed) throw new Error(`go crypto/tls: ${result.failed} requests not answered 200`);
    return result.cpuSeconds;
  };
}
