import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import test from 'ava';
import { createClusterPki, type ClusterPki } from '../../../../src/cluster/certs.js';
import { connectTls, type TlsMaterial } from '../../../../src/load/transports/types.js';

/** A TLS server with the cluster's apiserver serving certificate (names: localhost, kubernetes..., 127.0.0.1, 10.96.0.1). */
async function servingTls(pki: ClusterPki): Promise<{ url: URL; close: () => void }> {
  const server = tls.createServer({ cert: pki.apiserverServing.certPem, key: pki.apiserverServing.keyPem, ALPNProtocols: ['h2'] }, (socket) =>
    socket.on('error', () => undefined),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`), close: () => server.close() };
}

/** Connects; resolves with the error that ended the handshake, or undefined once it is secure. */
function handshake(url: URL, material: TlsMaterial): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const socket = connectTls(url, material, ['h2']);
    socket.once('secureConnect', () => {
      const detailed = socket.getPeerCertificate(true);
      socket.destroy();
      resolve(detailed.subject?.CN === 'kube-apiserver' ? undefined : new Error("getPeerCertificate is not Node's again"));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error));
  });
}

test('connectTls: the chain verified against the CA and the name against serverName or the address dialled, as Node checks them', async (t) => {
  const pki = await createClusterPki();
  const other = await createClusterPki();
  const server = await servingTls(pki);
  t.teardown(server.close);
  const material = (ca: string, serverName?: string): TlsMaterial => ({ ca, cert: pki.load.certPem, key: pki.load.keyPem, serverName });

  t.is(await handshake(server.url, material(pki.ca.certPem)), undefined, 'the IP dialled is in the certificate');
  t.is(await handshake(server.url, material(pki.ca.certPem, 'kubernetes.default.svc')), undefined, 'a DNS name in the certificate');
  t.is(await handshake(server.url, material(pki.ca.certPem, '10.96.0.1')), undefined, 'an IP in the certificate');
  t.is((await handshake(server.url, material(pki.ca.certPem, 'etcd.example')))?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', 'a name not in it');
  t.is((await handshake(server.url, material(pki.ca.certPem, '10.0.0.9')))?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', 'an IP not in it');
  t.is((await handshake(server.url, material(other.ca.certPem)))?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', "another cluster's CA");
  t.is(await handshake(server.url, { ...material(other.ca.certPem, 'etcd.example'), insecure: true }), undefined, 'insecure-skip-tls-verify');
});
