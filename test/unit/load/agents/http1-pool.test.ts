import test from 'ava';
import net from 'node:net';
import tls from 'node:tls';
import { Http1ConnectionPool } from '../../../../src/load/agents/http1-pool.js';
import { connectTls } from '../../../../src/load/transports/types.js';
import { silentServer } from '../../../helpers/silent-server.js';
import { within } from '../../../helpers/within.js';

test("closeAll closes a connection in its TLS handshake, whose request fails with Go's error, as connrotation's CloseAll does", async (t) => {
  const { url } = await silentServer(t);
  let dialled: tls.TLSSocket | undefined;
  const pool = new Http1ConnectionPool({ dial: () => (dialled = connectTls(url, {}, ['http/1.1'])) });
  t.teardown(() => pool.close());
  const asked = pool.acquire();
  await within(3000, new Promise((resolve) => dialled!.once('connect', resolve)));
  pool.closeAll();
  const error = await within(3000, t.throwsAsync(asked));
  t.is(error?.message, 'use of closed network connection');
});

test('closeAll leaves a TCP connect under way, which connrotation does not track yet; the agent stopping ends it', async (t) => {
  // A TLS socket over a TCP socket not yet connected: its connect is still to come.
  const dialled = tls.connect({ socket: new net.Socket() });
  const pool = new Http1ConnectionPool({ dial: () => dialled });
  let settled = false;
  const asked = pool.acquire().finally(() => (settled = true));
  pool.closeAll();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.false(dialled.destroyed);
  t.false(settled);
  pool.close();
  await t.throwsAsync(asked, { name: 'AbortError' });
  t.true(dialled.destroyed);
});
