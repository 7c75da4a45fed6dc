// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { KeyPairPem } from '../core/cluster.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const validForMs = 7 * 24 * 3600 * 1000;

export interface ClusterPki {
  ca: KeyPairPem;
  apiserverServing: KeyPairPem;
  etcdServing: KeyPairPem;
  apiserverEtcdClient: KeyPairPem;
  admin: KeyPairPem;
  /** The identity load runs as: cluster-admin by RBAC but not in system:masters, so APF and max-inflight apply to it. */
  load: KeyPairPem;
  controllerManager: KeyPairPem;
  scheduler: KeyPairPem;
  /** Serving certificates of the controller-manager and scheduler, so their /healthz and /metrics verify against our CA. */
  controllerManagerServing: KeyPairPem;
  schedulerServing: KeyPairPem;
  /** Service-account token signing key (private) and its public half. */
  serviceAccount: { privatePem: string; publicPem: string };
}

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${base64.trimEnd()}\n-----END ${label}-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

interface LeafOptions {
  subject: string;
  server?: { dns: string[]; ips: string[] };
  client?: boolean;
}

async function issue(ca: Signer, options: LeafOptions): Promise<KeyPairPem> {
  const keys = await newKeys();
  const usages: string[] = [];
  if (options.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (options.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (options.server) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...options.server.dns.map((value) => ({ type: 'dns' as const, value })),
        ...options.server.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: options.subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validForMs),
    signingAlgorithm: ca.signingAlgorithm ?? algorithm,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys) };
}

/** A CA ready to sign, and the algorithm its key signs with. */
type Signer = { cert: x509.X509Certificate; keys: Pick<CryptoKeyPair, 'privateKey'>; signingAlgorithm?: typeof algorithm | typeof rsaAlgorithm };

/** kubeadm's (kind's) CAs are RSA: their certificates are signed RSASSA-PKCS1-v1_5 with SHA-256, as kubeadm signs its own. */
const rsaAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A CA given as PEM, ready to sign: ours (ECDSA P-256) or kubeadm's (RSA). */
async function signerOf(ca: KeyPairPem): Promise<Signer> {
  const key = createPrivateKey(ca.keyPem);
  const signingAlgorithm = key.asymmetricKeyType === 'ec' ? algorithm : key.asymmetricKeyType === 'rsa' ? rsaAlgorithm : undefined;
  if (!signingAlgorithm)
    throw new Error(`the CA key is ${key.asymmetricKeyType ?? 'of no known type'}; only ECDSA P-256 and RSA CAs sign client certificates here`);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, signingAlgorithm, false, ['sign']);
  return { cert: new x509.X509Certificate(ca.certPem), keys: { privateKey }, signingAlgorithm };
}

/** Client certificates signed by one CA, each with a key of its own; the CA is read once. */
export function clientCertificateIssuer(ca: KeyPairPem): (subject: string) => Promise<KeyPairPem> {
  let signer: Promise<Signer> | undefined;
  return async (subject) => issue(await (signer ??= signerOf(ca)), { subject, client: true });
}

/**
 * A fresh PKI per cluster: one CA, serving certificates for etcd and the
 * apiserver on loopback, and client certificates whose subjects the apiserver's
 * bootstrap RBAC already knows (system:masters, system:kube-controller-manager,
 * system:kube-scheduler). ECDSA P-256 keeps generation to milliseconds.
 */
export async function createClusterPki(): Promise<ClusterPki> {
  const caKeys = await newKeys();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=cpchaos-ca',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validForMs),
    signingAlgorithm: algorithm,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca = { cert: caCert, keys: caKeys };
  const loopback = { dns: ['localhost'], ips: ['127.0.0.1'] };
  const saKeys = await newKeys();
  return {
    ca: { certPem: caCert.toString('pem') + '\n', keyPem: await privateKeyPem(caKeys) },
    apiserverServing: await issue(ca, {
      subject: 'CN=kube-apiserver',
      server: {
        dns: [...loopback.dns, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
        ips: [...loopback.ips, '10.96.0.1'],
      },
    }),
    etcdServing: await issue(ca, { subject: 'CN=etcd', server: loopback, client: true }),
    apiserverEtcdClient: await issue(ca, { subject: 'CN=kube-apiserver-etcd-client', client: true }),
    admin: await issue(ca, { subject: 'CN=cpchaos-admin, O=system:masters', client: true }),
    load: await issue(ca, { subject: 'CN=cpchaos-load, O=cpchaos:load', client: true }),
    controllerManager: await issue(ca, { subject: 'CN=system:kube-controller-manager', client: true }),
    scheduler: await issue(ca, { subject: 'CN=system:kube-scheduler', client: true }),
    controllerManagerServing: await issue(ca, { subject: 'CN=kube-controller-manager', server: loopback }),
    schedulerServing: await issue(ca, { subject: 'CN=kube-scheduler', server: loopback }),
    serviceAccount: {
      privatePem: await privateKeyPem(saKeys),
      publicPem: pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', saKeys.publicKey)),
    },
  };
}

/** Writes each PEM with owner-only permissions; these files are secrets. */
export async function writePki(pki: ClusterPki, dir: string): Promise<Record<string, string>> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const files: Record<string, string> = {};
  const write = async (name: string, content: string) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, content, { mode: 0o600 });
    files[name] = file;
  };
  for (const [name, pair] of Object.entries(pki)) {
    if (name === 'serviceAccount') continue;
    const { certPem, keyPem } = pair as KeyPairPem;
    await write(`${name}.crt`, certPem);
    await write(`${name}.key`, keyPem);
  }
  await write('service-account.key', pki.serviceAccount.privatePem);
  await write('service-account.pub', pki.serviceAccount.publicPem);
  return files;
}
