import { defaultKubernetesVersion } from '../../binaries/versions.js';
/**
 * A Node as a kubelet registers it: capacity, conditions, addresses, node info and
 * the image list that makes real Node objects 10-20 KiB, so etcd and the watch
 * cache carry realistic sizes.
 */
export function nodeObject(name: string, runId: string): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: `kubelet ${reason}`,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm5.xlarge',
        'topology.kubernetes.io/zone': `zone-${name.length % 3}`,
        ...(runId ? { 'cpchaos.io/run': runId } : {}),
        'cpchaos.io/node': 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: '10.244.0.0/24', providerID: `cpchaos://${name}` },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '3920m', memory: '15Gi', pods: '110', 'ephemeral-storage': '90Gi' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        condition('Ready', 'True', 'KubeletReady'),
      ],
      addresses: [
        { type: 'InternalIP', address: '192.0.2.10' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: name,
        systemUUID: name,
        bootID: name,
        kernelVersion: '6.1.0',
        osImage: 'Debian GNU/Linux 12',
        containerRuntimeVersion: 'containerd://1.7.0',
        kubeletVersion: defaultKubernetesVersion,
        kubeProxyVersion: defaultKubernetesVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: Array.from({ length: 25 }, (_, i) => ({
        names: [`registry.example.com/team/app-${i}@sha256:${'0123456789abcdef'.repeat(4)}`, `registry.example.com/team/app-${i}:1.${i}.0`],
        sizeBytes: 50_000_000 + i * 1_000_000,
      })),
    },
  };
}

export function leaseObject(name: string): Record<string, unknown> {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
  };
}

/** metav1.MicroTime's wire format. */
export function microTime(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}.${String(date.getMilliseconds() * 1000).padStart(6, '0')}Z`;
}
