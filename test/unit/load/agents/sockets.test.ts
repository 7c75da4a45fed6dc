import net from 'node:net';
import { once } from 'node:events';
import test from 'ava';
import { AgentSockets, socketBudget } from '../../../../src/load/agents/sockets.js';

/** A TCP connection to a listener of this process; `close` ends both ends and the listener. */
async function connected(): Promise<{ socket: net.Socket; close: () => void }> {
  const peers: net.Socket[] = [];
  const server = net.createServer((peer) => peers.push(peer.on('error', () => undefined)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const close = () => {
    socket.destroy();
    peers.forEach((peer) => peer.destroy());
    server.close();
  };
  return { socket, close };
}

test("spares count against a budget shared by a runner's threads, beside the room kept for the agents' own connections", async (t) => {
  const budget = socketBudget(3);
  const [main, thread] = [new AgentSockets(budget), new AgentSockets(budget)];
  const [own, a, b] = [await connected(), await connected(), await connected()];
  t.teardown(() => [own, a, b].forEach((c) => c.close()));
  main.reserve(1);
  main.add(own.socket);
  t.true(thread.roomForSpare(), "an agent's own socket takes only the room reserved for it");
  main.add(a.socket, undefined, true);
  thread.add(b.socket, undefined, true);
  t.false(main.roomForSpare(), 'two spares in two registries and one reserved connection fill a budget of three');
  t.false(thread.roomForSpare());
  a.socket.destroy();
  await once(a.socket, 'close');
  t.true(thread.roomForSpare(), 'a spare closed in one registry frees a place for the other');
  t.is(thread.reset(1), 1);
  t.is(main.count + thread.count, 1);
  const [c, d] = [await connected(), await connected()];
  t.teardown(() => [c, d].forEach((x) => x.close()));
  main.add(c.socket, undefined, true);
  main.add(d.socket, undefined, true);
  t.false(main.roomForSpare(), 'a reset spare left the count once, not twice');
});

test("a spare that became its agent's connection leaves the spares' count once", async (t) => {
  const sockets = new AgentSockets(socketBudget(2));
  const [a, b] = [await connected(), await connected()];
  t.teardown(() => [a, b].forEach((c) => c.close()));
  sockets.add(a.socket, undefined, true);
  sockets.add(b.socket, undefined, true);
  t.false(sockets.roomForSpare());
  sockets.kept(a.socket);
  sockets.kept(a.socket);
  t.true(sockets.roomForSpare(), 'the kept one is no longer a spare');
  a.socket.destroy();
  await once(a.socket, 'close');
  sockets.add((await connected().then((c) => (t.teardown(c.close), c))).socket, undefined, true);
  t.false(sockets.roomForSpare(), 'closing the kept one did not free a spare place again, nor did keeping it twice');
});

test('without a budget there is always room', (t) => {
  t.true(new AgentSockets().roomForSpare());
});
