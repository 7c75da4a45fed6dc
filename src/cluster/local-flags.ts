import type { ClusterSpec } from '../core/cluster.js';

export interface LocalLayout {
  dataDir: string;
  pki: Record<string, string>;
  ports: { etcdClient: number; etcdPeer: number; etcdMetrics: number; apiserver: number; controllerManager: number; scheduler: number };
  kubeconfigs: { controllerManager: string; scheduler: string };
  certDirs: { controllerManager: string; scheduler: string };
}

const pkiFile = (layout: LocalLayout, name: string): string => {
  const file = layout.pki[name];
  if (!file) throw new Error(`missing PKI file ${name}`);
  return file;
};

function toArgs(flags: Record<string, string>): string[] {
  return Object.entries(flags).map(([key, value]) => `--${key}=${value}`);
}

export function etcdArgs(spec: ClusterSpec, layout: LocalLayout): string[] {
  const { etcdClient, etcdPeer, etcdMetrics } = layout.ports;
  const flags: Record<string, string> = {
    name: 'default',
    'data-dir': layout.dataDir,
    'listen-client-urls': `https://127.0.0.1:${etcdClient}`,
    'advertise-client-urls': `https://127.0.0.1:${etcdClient}`,
    'listen-peer-urls': `http://127.0.0.1:${etcdPeer}`,
    'initial-advertise-peer-urls': `http://127.0.0.1:${etcdPeer}`,
    'initial-cluster': `default=http://127.0.0.1:${etcdPeer}`,
    'listen-metrics-urls': `http://127.0.0.1:${etcdMetrics}`,
    'cert-file': pkiFile(layout, 'etcdServing.crt'),
    'key-file': pkiFile(layout, 'etcdServing.key'),
    'trusted-ca-file': pkiFile(layout, 'ca.crt'),
    'client-cert-auth': 'true',
    // Large enough for tens of thousands of pods; etcd's 2 GiB default fills up in the big experiments.
    'quota-backend-bytes': String(8 * 1024 ** 3),
    'log-level': 'warn',
  };
  if (spec.etcdUnsafeNoFsync) flags['unsafe-no-fsync'] = 'true';
  return toArgs(flags);
}

export function featureGatesFlag(gates: Record<string, boolean>): string | undefined {
  const entries = Object.entries(gates);
  return entries.length ? entries.map(([gate, on]) => `${gate}=${on}`).join(',') : undefined;
}

export function apiserverArgs(spec: ClusterSpec, layout: LocalLayout): string[] {
  const flags: Record<string, string> = {
    'etcd-servers': `https://127.0.0.1:${layout.ports.etcdClient}`,
    'etcd-cafile': pkiFile(layout, 'ca.crt'),
    'etcd-certfile': pkiFile(layout, 'apiserverEtcdClient.crt'),
    'etcd-keyfile': pkiFile(layout, 'apiserverEtcdClient.key'),
    'bind-address': '127.0.0.1',
    'advertise-address': '127.0.0.1',
    'secure-port': String(layout.ports.apiserver),
    'tls-cert-file': pkiFile(layout, 'apiserverServing.crt'),
    'tls-private-key-file': pkiFile(layout, 'apiserverServing.key'),
    'client-ca-file': pkiFile(layout, 'ca.crt'),
    'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
    'service-account-key-file': pkiFile(layout, 'service-account.pub'),
    'service-account-signing-key-file': pkiFile(layout, 'service-account.key'),
    'authorization-mode': 'Node,RBAC',
    // kubeadm's default range: room for the tens of thousands of Services the big experiments seed.
    'service-cluster-ip-range': '10.96.0.0/12',
    'disable-admission-plugins': 'ServiceAccount',
    'allow-privileged': 'true',
    // No kubelets answer here; without this the apiserver logs endless dial errors for logs/exec.
    'endpoint-reconciler-type': 'none',
  };
  const gates = featureGatesFlag(spec.featureGates);
  if (gates) flags['feature-gates'] = gates;
  return toArgs({ ...flags, ...spec.apiserverArgs });
}

// Feature gates go to the apiserver only: the other binaries refuse gates they do not register.
export function controllerManagerArgs(_spec: ClusterSpec, layout: LocalLayout): string[] {
  const kubeconfig = layout.kubeconfigs.controllerManager;
  const flags: Record<string, string> = {
    kubeconfig,
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'bind-address': '127.0.0.1',
    'secure-port': String(layout.ports.controllerManager),
    'cert-dir': layout.certDirs.controllerManager,
    'tls-cert-file': pkiFile(layout, 'controllerManagerServing.crt'),
    'tls-private-key-file': pkiFile(layout, 'controllerManagerServing.key'),
    'leader-elect': 'false',
    'service-account-private-key-file': pkiFile(layout, 'service-account.key'),
    'root-ca-file': pkiFile(layout, 'ca.crt'),
    'cluster-signing-cert-file': pkiFile(layout, 'ca.crt'),
    'cluster-signing-key-file': pkiFile(layout, 'ca.key'),
    'use-service-account-credentials': 'true',
  };
  return toArgs(flags);
}

export function schedulerArgs(_spec: ClusterSpec, layout: LocalLayout): string[] {
  const kubeconfig = layout.kubeconfigs.scheduler;
  const flags: Record<string, string> = {
    kubeconfig,
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'bind-address': '127.0.0.1',
    'secure-port': String(layout.ports.scheduler),
    'cert-dir': layout.certDirs.scheduler,
    'tls-cert-file': pkiFile(layout, 'schedulerServing.crt'),
    'tls-private-key-file': pkiFile(layout, 'schedulerServing.key'),
    'leader-elect': 'false',
  };
  return toArgs(flags);
}
