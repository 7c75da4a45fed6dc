import test, { type ExecutionContext } from 'ava';
import https from 'node:https';
import net from 'node:net';
import { createClusterPki } from '../../../../src/cluster/certs.js';
import { Http1Wire } from '../../../../src/load/agents/wire-http1.js';
import { Cancellation } from '../../../../src/util/cancellation.js';
import { until, within } from '../../../helpers/within.js';

/**
 * A real HTTPS server behind a TCP relay that holds each new connection's bytes for `delays[n]` ms (the last for the rest)
 * before passing them on, as a starved apiserver is slow to answer a ClientHello. It counts the TLS connections it
 * accepted and saw closed, and the connection (its number) each request came over; a watch (watch=true) is answered with
 * a head and never ended, and a request to /slow after 300 ms.
 */
async function setup(t: ExecutionContext, delays: number[] = [0]) {
  const pki = await createClusterPki();
  const counts = { opened: 0, closed: 0 };
  const connectionOf = new WeakMap<net.Socket, number>();
  const served: { path: string; connection: number }[] = [];
  const server = https.createServer({ cert: pki.apiserverServing.certPem, key: pki.apiserverServing.keyPem, keepAliveTimeout: 60_000 }, (request, response) => {
    served.push({ path: request.url ?? '', connection: connectionOf.get(request.socket) ?? -1 });
    response.writeHead(200, { 'content-type': 'application/json' });
    if (request.url?.includes('watch=true')) response.flushHeaders();
    else setTimeout(() => response.end('{}'), request.url?.startsWith('/slow') ? 300 : 0);
  });
  server.on('secureConnection', (socket: net.Socket) => {
    connectionOf.set(socket, counts.opened++);
    socket.on('close', () => counts.closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayed = new Set<net.Socket>();
  const timers: NodeJS.Timeout[] = [];
  let accepted = 0;
  const relay = net.createServer((client) => {
    const delay = delays[Math.min(accepted++, delays.length - 1)];
    relayed.add(client.pause());
    timers.push(
      setTimeout(() => {
        const upstream = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        relayed.add(upstream);
        client.pipe(upstream).pipe(client.resume());
        const end = () => (client.destroy(), upstream.destroy());
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      }, delay),
    );
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const cancellation = new Cancellation();
  const url = `https://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
  const tls = { ca: pki.ca.certPem };
  const wire = () => new Http1Wire(url, tls, { cancellation });
  t.teardown(() => {
    cancellation.stop();
    for (const timer of timers) clearTimeout(timer);
    for (const socket of relayed) socket.destroy();
    relay.close();
    server.closeAllConnections();
    server.close();
  });
  const get = (over: Http1Wire, path = '/api/v1/nodes/n', signal?: AbortSignal) =>
    within(3000, over.send({ method: 'GET', path, protobuf: false, ...(signal ? { signal } : {}) }));
  return { counts, served, wire, get, closedAtLeast: (n: number) => until(() => counts.closed >= n, 3000, 10) };
}

/** My watch holds a connection, my GET and theirs one each, then idle: one agent's pool is its own, as each real agent's transport is. */
async function twoAgents(t: ExecutionContext) {
  const context = await setup(t);
  const [mine, theirs] = [context.wire(), context.wire()];
  const watch = await within(
    3000,
    mine.watch('/api/v1/pods?watch=true', false, () => undefined),
  );
  await Promise.all([context.get(mine), context.get(theirs)]);
  t.is(context.counts.opened, 3);
  let watchEnded = false;
  void watch.ended.then(() => (watchEnded = true));
  return { ...context, mine, theirs, watch, watchEnded: () => watchEnded };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

test("closeConnections closes the wire's idle keep-alive connections too, as connrotation's CloseAll does, and not another agent's", async (t) => {
  const { counts, mine, theirs, get, closedAtLeast, watchEnded } = await twoAgents(t);
  mine.closeConnections();
  t.true(await closedAtLeast(2));
  await settle();
  t.is(counts.closed, 2, 'the watch and my idle connection');
  t.true(watchEnded());
  await get(theirs);
  t.is(counts.opened, 3, 'their idle connection was still there for their next request');
});

test("closeIdleConnections closes only the wire's idle connections: its watch and another agent's stay", async (t) => {
  const { counts, mine, theirs, get, watch, closedAtLeast, watchEnded } = await twoAgents(t);
  mine.closeIdleConnections();
  t.true(await closedAtLeast(1));
  await settle();
  t.is(counts.closed, 1);
  t.false(watchEnded());
  await get(theirs);
  t.is(counts.opened, 3);
  watch.stop();
});

test('a request that gives up during its handshake leaves the dial going, and the next request takes that connection, as Go does', async (t) => {
  const { counts, wire, get } = await setup(t, [400]);
  const agent = wire();
  await t.throwsAsync(get(agent, '/api/v1/nodes/n', AbortSignal.timeout(100)), { any: true, name: 'TimeoutError' });
  t.is(counts.opened, 0, 'gave up before the server saw the handshake');
  t.true(await until(() => counts.opened === 1, 3000, 10), 'the handshake went on and the server saw it');
  await settle();
  t.is(counts.closed, 0, 'the connection was kept, not closed once made');
  await get(agent);
  t.is(counts.opened, 1, 'no second dial');
});

test('a request waiting for its dial takes a connection another request frees first, and its own dial goes idle (late binding)', async (t) => {
  const { counts, served, wire, get } = await setup(t, [0, 800]);
  const agent = wire();
  const first = get(agent, '/slow');
  t.true(await until(() => served.length === 1, 3000, 10));
  const startedAt = performance.now();
  await get(agent, '/second');
  const waitedMs = performance.now() - startedAt;
  await first;
  t.true(waitedMs < 700, `served in ${Math.round(waitedMs)} ms, before its own dial was through (800 ms)`);
  t.deepEqual(
    served.map(({ connection }) => connection),
    [0, 0],
  );
  t.true(await until(() => counts.opened === 2, 3000, 10), 'its own dial came through');
  await Promise.all([get(agent, '/a'), get(agent, '/b')]);
  t.is(counts.opened, 2, 'the two idle connections served the next two requests');
  t.deepEqual(
    served
      .slice(2)
      .map(({ connection }) => connection)
      .sort(),
    [0, 1],
  );
});
