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

test("registries sharing a budget (a runner's threads) count their sockets together, and a closed or reset one frees its place", async (t) => {
  const budget = socketBudget(2);
  const [main, thread] = [new AgentSockets(budget), new AgentSockets(budget)];
  const [a, b] = [await connected(), await connected()];
  t.teardown(() => [a, b].forEach((c) => c.close()));
  main.add(a.socket);
  t.true(thread.roomForSpare());
  thread.add(b.socket);
  t.false(main.roomForSpare(), 'two sockets in two registries fill a budget of two');
  t.false(thread.roomForSpare());
  a.socket.destroy();
  await once(a.socket, 'close');
  t.true(thread.roomForSpare(), 'a socket closed in one registry frees a place for the other');
  t.is(thread.reset(1), 1);
  t.is(main.count + thread.count, 0);
  main.add((await connected().then((c) => (t.teardown(c.close), c))).socket);
  t.true(main.roomForSpare(), 'a reset socket left the count once, not twice');
});

test('without a budget there is always room', (t) => {
  t.true(new AgentSockets().roomForSpare());
});
