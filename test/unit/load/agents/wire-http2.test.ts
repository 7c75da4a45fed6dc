import test from 'ava';
import http2 from 'node:http2';
import net from 'node:net';
import { createClusterPki } from '../../../../src/cluster/certs.js';
import { HandshakeGate } from '../../../../src/load/agents/handshake-gate.js';
import { Http2Wire } from '../../../../src/load/agents/wire-http2.js';
import type { OpenRequest, RawResponse } from '../../../../src/load/agents/wire.js';
import { Cancellation } from '../../../../src/util/cancellation.js';
import { silentServer } from '../../../helpers/silent-server.js';
import { within } from '../../../helpers/within.js';

test('a request asked of an agent that stopped fails at once, gate or not, rather than wait for a dial never made', async (t) => {
  for (const gate of [new HandshakeGate(1), undefined]) {
    const cancellation = new Cancellation();
    // Nothing listens on port 9: a dial made would fail with ECONNREFUSED, not AbortError.
    const wire = new Http2Wire('https://127.0.0.1:9', {}, { cancellation, ...(gate ? { gate } : {}) });
    cancellation.stop();
    const error = await t.throwsAsync(within(2000, wire.list('/api/v1/pods', true)));
    t.is(error?.name, 'AbortError', gate ? 'with a gate' : 'without one');
  }
});

test("a request's deadline bounds its wait for a connection, as Go's Client.Timeout bounds the dial; the dial goes on", async (t) => {
  const { url, sockets } = await silentServer(t);
  const cancellation = new Cancellation();
  const wire = new Http2Wire(url.origin, {}, { cancellation });
  t.teardown(() => cancellation.stop());
  const deadline = new AbortController();
  const expired = Object.assign(new Error('context deadline exceeded'), { code: 'ETIMEDOUT' });
  setTimeout(() => deadline.abort(expired), 200);
  const error = await t.throwsAsync(within(3000, wire.send({ method: 'GET', path: '/api/v1/nodes/n', protobuf: true, signal: deadline.signal })));
  t.is(error, expired, 'the deadline, long before the 10 s handshake timeout');
  t.is(sockets.length, 1, 'the dial was made');
  t.false(sockets[0]!.destroyed, 'and goes on after the request gave up');
});

/** Reads each response's body a while after its head came, as a busy fleet may. */
class LateReader extends Http2Wire {
  protected override async open(request: OpenRequest, authorization: string | undefined): Promise<RawResponse> {
    const response = await super.open(request, authorization);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return response;
  }
}

test('a whole body is whole however late it is read, and an empty one too', async (t) => {
  const pki = await createClusterPki();
  const server = http2.createSecureServer({ cert: pki.apiserverServing.certPem, key: pki.apiserverServing.keyPem });
  const created = '{"kind":"Node","metadata":{"name":"n"}}';
  // Answers once the request is whole, as the apiserver does. An empty answer is a head that ends the stream: it ends
  // before anyone reads it.
  server.on('stream', (stream, headers) => {
    stream.resume();
    stream.on('end', () => {
      if (headers[':path'] === '/empty') return stream.respond({ ':status': 204 }, { endStream: true });
      stream.respond({ ':status': 201, 'content-type': 'application/json' });
      stream.end(created);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cancellation = new Cancellation();
  t.teardown(() => {
    cancellation.stop();
    server.close();
  });
  const tls = { ca: pki.ca.certPem };
  for (const [name, wire] of [
    ['read at once', new Http2Wire(`https://127.0.0.1:${port}`, tls, { cancellation })],
    ['read late', new LateReader(`https://127.0.0.1:${port}`, tls, { cancellation })],
  ] as const) {
    for (let i = 0; i < 3; i++) {
      const response = await within(3000, wire.send({ method: 'POST', path: '/api/v1/nodes', protobuf: true, body: '{}', contentType: 'application/json' }));
      t.is(response.body.toString('utf8'), created, name);
      t.is((await within(3000, wire.send({ method: 'GET', path: '/empty', protobuf: true }))).status, 204, name);
    }
  }
});

test("closeConnections closes a connection still in its TLS handshake, as connrotation's CloseAll does; its request fails", async (t) => {
  const sockets: net.Socket[] = [];
  const closed = new Promise<void>((resolve) => {
    const server = net.createServer((socket) => {
      sockets.push(socket);
      // Reads the ClientHello and never answers it.
      socket.resume();
      socket.on('close', () => resolve());
    });
    server.listen(0, '127.0.0.1', () => start((server.address() as net.AddressInfo).port));
    t.teardown(() => server.close());
  });
  let request!: Promise<unknown>;
  const cancellation = new Cancellation();
  t.teardown(() => cancellation.stop());
  function start(port: number) {
    const wire = new Http2Wire(`https://127.0.0.1:${port}`, {}, { cancellation });
    request = wire.send({ method: 'GET', path: '/api/v1/nodes/n', protobuf: true });
    request.catch(() => undefined);
    setTimeout(() => wire.closeConnections(), 200);
  }
  await within(3000, closed);
  const error = await t.throwsAsync(within(3000, request));
  t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
  t.regex(error!.message, /closed network connection/);
  t.is(sockets.length, 1);
});

test("closeIdleConnections closes the connection only while no stream is open on it, as Go's closeIfIdle does: a watch keeps it", async (t) => {
  const pki = await createClusterPki();
  const server = http2.createSecureServer({ cert: pki.apiserverServing.certPem, key: pki.apiserverServing.keyPem });
  let connections = 0;
  server.on('session', () => connections++);
  server.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    // A watch: its stream stays open until the client ends it.
    if (String(headers[':path']).includes('watch=true')) stream.write('');
    else stream.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cancellation = new Cancellation();
  t.teardown(() => {
    cancellation.stop();
    server.close();
  });
  const wire = new Http2Wire(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { ca: pki.ca.certPem }, { cancellation });
  const get = () => within(3000, wire.send({ method: 'GET', path: '/api/v1/nodes/n', protobuf: false }));
  await get();
  const watch = await within(
    3000,
    wire.watch('/api/v1/pods?watch=true', false, () => undefined),
  );
  let watchEnded = false;
  void watch.ended.then(() => (watchEnded = true));
  wire.closeIdleConnections();
  await get();
  t.is(connections, 1, 'the connection carrying a watch stays');
  t.false(watchEnded, 'and so does the watch');
  watch.stop();
  await within(3000, watch.ended);
  await new Promise((resolve) => setTimeout(resolve, 50));
  wire.closeIdleConnections();
  await get();
  t.is(connections, 2, 'idle, it was closed: the next request dialled a new one');
});
