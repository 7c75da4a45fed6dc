import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import test from 'ava';
import { createClusterPki } from '../../../src/cluster/certs.js';
import { AgentIdentities } from '../../../src/load/agent-identities.js';
import { fixedAuthorization } from '../../../src/load/authorization.js';

const pki = await createClusterPki();
const load = { tls: { ca: pki.ca.certPem, cert: pki.load.certPem, key: pki.load.keyPem, serverName: 'kubernetes' }, credentials: fixedAuthorization() };

test("a kubelet gets a client certificate of its own node, signed by the cluster's CA, and no load certificate or token", async (t) => {
  const identities = new AgentIdentities(load, { clientCa: pki.ca, serviceAccounts: {} });
  const first = await identities.of({ kind: 'node' }, 'cpchaos-node-7');
  const cert = new X509Certificate(String(first.tls.cert));
  t.is(cert.subject, 'CN=system:node:cpchaos-node-7\nO=system:nodes');
  t.true(cert.verify(new X509Certificate(pki.ca.certPem).publicKey), 'signed by the CA the apiserver trusts');
  t.true(cert.checkPrivateKey(createPrivateKey(String(first.tls.key))), 'with its own key');
  t.is(first.credentials, undefined);
  t.is(first.tls.ca, pki.ca.certPem);
  t.is(first.tls.serverName, 'kubernetes', 'the apiserver is checked as the load identity checks it');
  const second = await identities.of({ kind: 'node' }, 'cpchaos-node-8');
  t.not(second.tls.key, first.tls.key, 'each node its own key');
});

test('agents of a ServiceAccount share its token over one TLS material without a client certificate', async (t) => {
  const identities = new AgentIdentities(load, { serviceAccounts: { 'kube-proxy': { account: 'cpchaos-kube-proxy-0a1b2c', token: 'abc' } } });
  const one = await identities.of({ kind: 'service-account', name: 'kube-proxy' }, 'cpchaos-node-1');
  const two = await identities.of({ kind: 'service-account', name: 'kube-proxy' }, 'cpchaos-node-2');
  t.is(one.credentials?.current(), 'Bearer abc');
  t.is(one.tls, two.tls, 'one TLS context for them all');
  t.is(one.tls.cert, undefined, 'the apiserver would take a client certificate before the token');
});

test('without a CA, a token or an identity of its kind, an agent is the load identity', async (t) => {
  const identities = new AgentIdentities(load, { serviceAccounts: {} });
  t.is(await identities.of({ kind: 'node' }, 'cpchaos-node-1'), load);
  t.is(await identities.of({ kind: 'service-account', name: 'cilium' }, 'cpchaos-node-1'), load);
  t.is(await new AgentIdentities(load, { clientCa: pki.ca, serviceAccounts: {} }).of(undefined, 'cpchaos-node-1'), load);
});

test("a kind cluster's CA (kubeadm's: RSA, PKCS#1) signs the kubelets' certificates too", async (t) => {
  const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
  const keys = (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=kubernetes',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: rsa,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  const pkcs1 = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'pkcs1',
  });
  const ca = { certPem: caCert.toString('pem'), keyPem: String(pkcs1) };
  t.regex(ca.keyPem, /^-----BEGIN RSA PRIVATE KEY-----/);
  const identities = new AgentIdentities(load, { clientCa: ca, serviceAccounts: {} });
  const cert = new X509Certificate(String((await identities.of({ kind: 'node' }, 'cpchaos-node-1')).tls.cert));
  t.is(cert.subject, 'CN=system:node:cpchaos-node-1\nO=system:nodes');
  t.true(cert.verify(new X509Certificate(ca.certPem).publicKey));
});
