import test from 'ava';
import net from 'node:net';
import tls from 'node:tls';
import { createClusterPki } from '../../../../src/cluster/certs.js';
import { dialDeadlines } from '../../../../src/load/agents/dial-deadlines.js';
import { connectTls } from '../../../../src/load/transports/types.js';
import { silentServer } from '../../../helpers/silent-server.js';
import { within } from '../../../helpers/within.js';

test("a TLS handshake over the agent's own TCP socket gives up after the handshake timeout, with Go's error, as client-go's transport does", async (t) => {
  const { url } = await silentServer(t);
  const socket = connectTls(url, {}, ['http/1.1'], () => undefined);
  dialDeadlines(socket, 200);
  const error = await within(3000, new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve)));
  t.is(error.message, 'net/http: TLS handshake timeout', 'the TCP connection was seen up, and the handshake timed');
  t.is(error.code, 'ETIMEDOUT');
  t.true(socket.destroyed);
});

test('a finished handshake is not given up afterwards', async (t) => {
  const pki = await createClusterPki();
  const server = tls.createServer({ cert: pki.apiserverServing.certPem, key: pki.apiserverServing.keyPem }, (socket) => socket.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connectTls(new URL(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}`), { ca: pki.ca.certPem }, ['http/1.1'], () => undefined);
  t.teardown(() => {
    socket.destroy();
    server.close();
  });
  dialDeadlines(socket, 200);
  await within(3000, new Promise((resolve) => socket.once('secureConnect', resolve)));
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.false(socket.destroyed);
});
