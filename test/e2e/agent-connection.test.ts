import net from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import test, { type ExecutionContext } from 'ava';
import { AgentSockets, socketBudget } from '../../src/load/agents/sockets.js';
import { HandshakeGate } from '../../src/load/agents/handshake-gate.js';
import { Http2Wire } from '../../src/load/agents/wire-http2.js';
import { kubeconfigIdentity } from '../../src/load/client.js';
import { Cancellation } from '../../src/util/cancellation.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { within } from '../helpers/within.js';

test.before(async () => {
  await isolatedStateDir();
});

/**
 * A TCP relay to the real apiserver that holds the first `held` connections it accepts: accepted,
 * their bytes read and never answered, as a dial whose handshake is stuck behind a full listen queue.
 */
async function holdingRelay(upstream: URL, held: number) {
  const open = new Set<net.Socket>();
  const keep = (socket: net.Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  let accepted = 0;
  const server = net.createServer((client) => {
    keep(client);
    if (accepted++ < held) {
      client.resume();
      return;
    }
    const apiserver = net.connect(Number(upstream.port), upstream.hostname);
    keep(apiserver);
    apiserver.on('close', () => client.destroy());
    client.on('close', () => apiserver.destroy());
    client.pipe(apiserver).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    accepted: () => accepted,
    stop: () => {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Long enough for the dials after the held one to finish their handshake on a machine busy with other
 * test files starting control planes: the same timeout applies to them.
 */
const handshakeTimeoutMs = 3000;

/** An agent's wire to a real apiserver through a relay that holds the first connection it dials. */
async function wireBehindHeldDial(
  t: ExecutionContext,
  options: Pick<ConstructorParameters<typeof Http2Wire>[2], 'onDial' | 'onSpareWithheld' | 'sockets' | 'gate' | 'handshakeTimeoutMs'> = {},
  ended: string[] = [],
) {
  const cluster = await startCluster(t);
  const relay = await holdingRelay(new URL(cluster.access.server), 1);
  t.teardown(relay.stop);
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const cancellation = new Cancellation();
  t.teardown(() => cancellation.stop());
  const onDialEnded = (outcome: string, spare: boolean) => ended.push(`${spare ? 'spare' : 'first'} ${outcome}`);
  return { relay, tls, cancellation, wire: new Http2Wire(relay.server, tls, { cancellation, onDialEnded, ...options }) };
}

test.serial('requests whose own connection hangs go over the first one to finish its handshake, as Go binds them late', async (t) => {
  const spares: boolean[] = [];
  const ended: string[] = [];
  const { relay, wire } = await wireBehindHeldDial(t, { onDial: (spare) => spares.push(spare) }, ended);
  // Inside the 10 s handshake timeout: they cannot have got through by giving up on the held dial.
  const pages = await within(8000, Promise.all([wire.list('/api/v1/namespaces', true), wire.list('/api/v1/namespaces?limit=1', true)]));
  t.deepEqual(
    pages.map((page) => page.status),
    [200, 200],
  );
  t.is(relay.accepted(), 2);
  t.deepEqual(spares, [false, true]);
  // The held first dial is still in flight: only the spare has ended, kept as the agent's connection.
  t.deepEqual(ended, ['spare kept']);
  // Later requests share the connection that won: no new dial.
  t.is((await wire.list('/api/v1/namespaces', true)).status, 200);
  t.is(relay.accepted(), 2);
});

test.serial('a dial whose TLS handshake hangs gives up after the handshake timeout, and the next request dials again', async (t) => {
  const ended: string[] = [];
  const { relay, wire } = await wireBehindHeldDial(t, { handshakeTimeoutMs }, ended);
  const started = Date.now();
  const error = await t.throwsAsync(within(8000, wire.list('/api/v1/namespaces', true)));
  t.is((error as NodeJS.ErrnoException).code, 'ETIMEDOUT');
  t.true(Date.now() - started >= handshakeTimeoutMs);
  t.is((await within(8000, wire.list('/api/v1/namespaces', true))).status, 200);
  t.is(relay.accepted(), 2);
  t.deepEqual(ended, ['first failed', 'first kept']);
});

test.serial('short of descriptors, a request waits for the dial in flight instead of dialling a spare, and fails with it', async (t) => {
  let withheld = 0;
  // Room for one socket, kept for the agent's own connection: a second request may not dial a spare.
  const sockets = new AgentSockets(socketBudget(1));
  sockets.reserve(1);
  const { relay, wire } = await wireBehindHeldDial(t, { sockets, handshakeTimeoutMs, onSpareWithheld: () => withheld++ });
  const results = await within(8000, Promise.allSettled([wire.list('/api/v1/namespaces', true), wire.list('/api/v1/namespaces?limit=1', true)]));
  // The held dial gave up after its handshake timeout; the request that had no dial of its own fails with it rather than wait forever.
  t.deepEqual(
    results.map((r) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : r.status)),
    ['ETIMEDOUT', 'ETIMEDOUT'],
  );
  t.is(withheld, 1);
  t.is(relay.accepted(), 1, 'no spare was dialled');
  // The next requests dial again (the first held connection is gone), and the one that finds that dial in flight waits for it.
  const pages = await within(8000, Promise.all([wire.list('/api/v1/namespaces', true), wire.list('/api/v1/namespaces?limit=1', true)]));
  t.deepEqual(
    pages.map((page) => page.status),
    [200, 200],
  );
  t.is(withheld, 2);
  t.is(relay.accepted(), 2);
});

test.serial('past the handshake gate a dial waits its turn, its handshake timeout starting only once it leaves, and a spare is still made', async (t) => {
  let withheld = 0;
  const gate = new HandshakeGate(1);
  const ended: string[] = [];
  const { relay, wire, tls, cancellation } = await wireBehindHeldDial(t, { gate, handshakeTimeoutMs, onSpareWithheld: () => withheld++ }, ended);
  // Another agent of the same thread: the relay holds only the first connection, so its dial would get through at once.
  const other = new Http2Wire(relay.server, tls, { cancellation, gate, handshakeTimeoutMs, onDialEnded: (outcome) => ended.push(`other ${outcome}`) });
  const started = Date.now();
  const results = await within(
    3 * handshakeTimeoutMs,
    Promise.allSettled([wire.list('/api/v1/namespaces', true), wire.list('/api/v1/namespaces?limit=1', true), other.list('/api/v1/namespaces', true)]),
  );
  const outcome = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : 'fulfilled');
  // The held dial gave up; the spare its second request queued behind it got through, and then the other agent's dial.
  t.deepEqual(results.map(outcome), ['ETIMEDOUT', 'fulfilled', 'fulfilled']);
  t.deepEqual(ended, ['first failed', 'spare kept', 'other kept'], 'one handshake at a time, in the order they were asked for');
  t.is(withheld, 0, 'the gate withholds no spare: it only makes it wait');
  t.is(relay.accepted(), 3);
  t.true(Date.now() - started >= handshakeTimeoutMs, 'the other agent waited at the gate for the held handshake');
});

test.serial('a request arriving while its agent waited at the gate gets a spare only if Go would have dialled one', async (t) => {
  const gate = new HandshakeGate(1);
  const ended: string[] = [];
  const { relay, wire, tls, cancellation } = await wireBehindHeldDial(t, { gate, handshakeTimeoutMs }, ended);
  // Another agent's dial takes the held connection and the gate's one place until its handshake timeout.
  const other = new Http2Wire(relay.server, tls, { cancellation, gate, handshakeTimeoutMs });
  const held = other.list('/api/v1/namespaces', true).catch((error: NodeJS.ErrnoException) => error.code);
  while (relay.accepted() < 1) await new Promise((resolve) => setTimeout(resolve, 10));
  // Asked together, as informers reconnecting at once: in Go both are dialled before either connection is up.
  const together = [wire.list('/api/v1/namespaces', true), wire.list('/api/v1/namespaces?limit=1', true)];
  await new Promise((resolve) => setTimeout(resolve, handshakeTimeoutMs / 2));
  // Asked far later than a local handshake takes: in Go it would have found the connection up.
  const later = wire.list('/api/v1/namespaces?limit=2', true);
  const pages = await within(3 * handshakeTimeoutMs, Promise.all([...together, later]));
  t.deepEqual(
    pages.map((page) => page.status),
    [200, 200, 200],
  );
  t.is(await held, 'ETIMEDOUT');
  const deadline = Date.now() + 5000;
  while (!ended.includes('spare closed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.deepEqual(ended, ['first kept', 'spare closed'], 'the spare of the request asked together was dialled once the connection was up, and closed');
  // The held dial, the agent's first, and one spare: none for the request that came later.
  t.is(relay.accepted(), 3);
});

test.serial('a body cut short by its connection closing fails its request, as it does in Go, and is never taken for the whole body', async (t) => {
  const cluster = await startCluster(t);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  // 100 ConfigMaps of 40 KiB: a LIST of them streams about 4 MB, long enough to be cut in the middle.
  const count = 100;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `big-${i}` }, data: { k: 'x'.repeat(40_000) } } }),
    ),
  );
  const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
  const cancellation = new Cancellation();
  t.teardown(() => cancellation.stop());
  const wire = new Http2Wire(cluster.access.server, tls, { cancellation });
  await wire.send({ method: 'GET', path: '/api/v1/namespaces/default/configmaps?limit=1', protobuf: false });
  const outcomes = { whole: 0, cut: 0 };
  // The connection is closed at a later moment each time, so that some closes land while the body streams.
  for (let delayMs = 0; delayMs < 120; delayMs += 4) {
    const closing = setTimeout(() => wire.closeConnections(), delayMs);
    const sent = await wire.send({ method: 'GET', path: '/api/v1/namespaces/default/configmaps', protobuf: false }).then(
      (response) => response,
      (error: NodeJS.ErrnoException) => error,
    );
    clearTimeout(closing);
    if (sent instanceof Error) {
      t.is(sent.code, 'ECONNRESET', sent.message);
      outcomes.cut++;
    } else {
      t.notThrows(
        () => t.is((JSON.parse(sent.body.toString('utf8')) as { items: unknown[] }).items.length, count),
        `a ${sent.body.length}-byte body taken for the whole`,
      );
      outcomes.whole++;
    }
  }
  t.log(outcomes);
  t.true(outcomes.cut > 0, 'some closes landed while a body streamed');
  t.true(outcomes.whole > 0, 'and some after it was whole');
});
