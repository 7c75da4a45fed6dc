import type { ExecutionContext } from 'ava';
import net from 'node:net';

/**
 * A server that accepts TCP connections and reads the ClientHello, never answering it: the apiserver of a storm, too
 * busy to finish handshakes. `sockets` are the connections it accepted; all closed with the test.
 */
export async function silentServer(t: ExecutionContext): Promise<{ url: URL; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket.resume()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { url: new URL(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}`), sockets };
}
