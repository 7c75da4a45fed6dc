import test from 'ava';
import https from 'node:https';
import type net from 'node:net';
import { createClusterPki } from '../../../../src/cluster/certs.js';
import { Http1Wire } from '../../../../src/load/agents/wire-http1.js';
import { Cancellation } from '../../../../src/util/cancellation.js';
import { within } from '../../../helpers/within.js';

/**
 * An HTTP/1.1 server counting the connections it accepted and saw closed; a watch (watch=true) is answered
 * with a head and never ended. Two wires share one https.Agent, as agents of one identity do, and so its pool.
 */
async function setup(t: import('ava').ExecutionContext) {
  const pki = await createClusterPki();
  const counts = { opened: 0, closed: 0 };
  const server = https.createServer({ cert: pki.apiserverServing.certPem, key: pki.apiserverServing.keyPem }, (request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    if (request.url?.includes('watch=true')) response.flushHeaders();
    else response.end('{}');
  });
  server.on('secureConnection', (socket: net.Socket) => {
    counts.opened++;
    socket.on('close', () => counts.closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cancellation = new Cancellation();
  const agent = new https.Agent({ keepAlive: true, ca: pki.ca.certPem });
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const [mine, theirs] = [new Http1Wire(url, agent, { cancellation }), new Http1Wire(url, agent, { cancellation })];
  t.teardown(() => {
    cancellation.stop();
    agent.destroy();
    server.closeAllConnections();
    server.close();
  });
  const get = (wire: Http1Wire) => within(3000, wire.send({ method: 'GET', path: '/api/v1/nodes/n', protobuf: false }));
  // My watch holds a connection; my GET and theirs, at once, dial one more each and leave it idle in the pool.
  const watch = await within(
    3000,
    mine.watch('/api/v1/pods?watch=true', false, () => undefined),
  );
  await Promise.all([get(mine), get(theirs)]);
  t.is(counts.opened, 3);
  let watchEnded = false;
  void watch.ended.then(() => (watchEnded = true));
  const settled = async (closed: number) => {
    await within(
      3000,
      (async () => {
        while (counts.closed < closed) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
  };
  return { counts, mine, theirs, get, watch, settled, watchEnded: () => watchEnded };
}

test("closeConnections closes the wire's idle keep-alive connections too, as connrotation's CloseAll does, and not another agent's", async (t) => {
  const { counts, mine, theirs, get, settled, watchEnded } = await setup(t);
  mine.closeConnections();
  await settled(2);
  t.is(counts.closed, 2, 'the watch and my idle connection');
  t.true(watchEnded());
  await get(theirs);
  t.is(counts.opened, 3, 'their idle connection was still there for their next request');
});

test("closeIdleConnections closes only the wire's idle connections: its watch and another agent's stay", async (t) => {
  const { counts, mine, theirs, get, watch, settled, watchEnded } = await setup(t);
  mine.closeIdleConnections();
  await settled(1);
  t.is(counts.closed, 1);
  t.false(watchEnded());
  await get(theirs);
  t.is(counts.opened, 3);
  watch.stop();
});
