import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { parseKubernetesVersion } from '../binaries/versions.js';
import type { ComponentName } from '../core/cluster.js';

/** kind/ in the repository: the base configs the provider starts from. */
export const kindConfigDir = path.resolve(import.meta.dirname, '..', '..', '..', 'kind');

/** etcd's metrics listener inside the node (kubeadm's default port for it). */
export const etcdMetricsContainerPort = 2381;

/** Where a node sees the run's kubeadm patches (static-pod memory limits). */
export const patchesContainerPath = '/kind/cpchaos-patches';

export interface KindConfigOptions {
  name: string;
  controlPlanes: 1 | 3;
  kubernetesVersion: string;
  /** A host folder of kubeadm patch files, mounted into every control-plane node. */
  patchesDir?: string;
  apiserverArgs: Record<string, string>;
  featureGates: Record<string, boolean>;
  /** Host port (on 127.0.0.1) that reaches etcd's metrics on the first control-plane node. */
  etcdMetricsHostPort: number;
}

interface KindNode {
  role: string;
  extraMounts?: { hostPath: string; containerPath: string; readOnly: boolean }[];
  extraPortMappings?: { containerPort: number; hostPort: number; listenAddress: string; protocol: string }[];
}

interface KindCluster {
  kind: string;
  apiVersion: string;
  name?: string;
  featureGates?: Record<string, boolean>;
  nodes: KindNode[];
  kubeadmConfigPatches?: string[];
  [key: string]: unknown;
}

/**
 * The kubeadm ClusterConfiguration patch: the experiment's apiserver flags, and the
 * metrics endpoints opened beyond loopback so the runner can scrape them. Unversioned
 * and with map-style extraArgs, as kind expects for kubeadm v1beta3 (Kubernetes < 1.36;
 * kind translates such patches for v1beta4).
 */
function clusterConfigurationPatch(options: KindConfigOptions): string {
  const patch = {
    kind: 'ClusterConfiguration',
    apiServer: { extraArgs: { ...options.apiserverArgs } },
    etcd: { local: { extraArgs: { 'listen-metrics-urls': `http://0.0.0.0:${etcdMetricsContainerPort}` } } },
    controllerManager: { extraArgs: { 'bind-address': '0.0.0.0' } },
    scheduler: { extraArgs: { 'bind-address': '0.0.0.0' } },
  };
  if (Object.keys(patch.apiServer.extraArgs).length === 0) delete (patch as { apiServer?: unknown }).apiServer;
  return yaml.dump(patch, { lineWidth: -1 });
}

/** kubeadm's name for each component's static pod, container and `component` label. */
export const staticPods: Record<ComponentName, string> = {
  etcd: 'etcd',
  apiserver: 'kube-apiserver',
  'controller-manager': 'kube-controller-manager',
  scheduler: 'kube-scheduler',
};

/**
 * kubeadm patch files that give the control-plane static pods a memory limit: the
 * kubelet then puts each in a memory cgroup of that size and restarts it when the
 * kernel OOM-kills it, as in the field reports' kind clusters.
 */
export function staticPodPatches(memoryLimits: Partial<Record<ComponentName, number>>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [component, bytes] of Object.entries(memoryLimits) as [ComponentName, number][]) {
    const container = staticPods[component];
    files[`${container}+strategic.yaml`] = yaml.dump({ spec: { containers: [{ name: container, resources: { limits: { memory: String(bytes) } } }] } });
  }
  return files;
}

/** Patches for kubeadm itself: where the static-pod patches are, and what the kubelet needs here. */
function kubeadmPatches(options: KindConfigOptions): string[] {
  const patches: string[] = [];
  if (options.patchesDir) {
    for (const kind of ['InitConfiguration', 'JoinConfiguration']) patches.push(yaml.dump({ kind, patches: { directory: patchesContainerPath } }));
  }
  // Kubernetes >= 1.35's kubelet refuses cgroup v1 unless told not to; most CI runners still have v1.
  if (parseKubernetesVersion(options.kubernetesVersion).minor >= 35) patches.push(yaml.dump({ kind: 'KubeletConfiguration', failCgroupV1: false }));
  return patches;
}

/** The kind config for one run, from kind/single.yaml or kind/ha.yaml. */
export async function kindConfig(options: KindConfigOptions): Promise<string> {
  const base = yaml.load(await fs.readFile(path.join(kindConfigDir, options.controlPlanes === 3 ? 'ha.yaml' : 'single.yaml'), 'utf8')) as KindCluster;
  const config: KindCluster = { ...base, name: options.name };
  // kind passes top-level feature gates to every component, kubelet included.
  if (Object.keys(options.featureGates).length) config.featureGates = { ...base.featureGates, ...options.featureGates };
  config.kubeadmConfigPatches = [...(base.kubeadmConfigPatches ?? []), clusterConfigurationPatch(options), ...kubeadmPatches(options)];
  const firstControlPlane = config.nodes.findIndex((n) => n.role === 'control-plane');
  const patchMount = options.patchesDir ? [{ hostPath: options.patchesDir, containerPath: patchesContainerPath, readOnly: true }] : [];
  config.nodes = config.nodes.map((node, i) => {
    const mounted = node.role === 'control-plane' && patchMount.length ? { ...node, extraMounts: [...(node.extraMounts ?? []), ...patchMount] } : node;
    return i === firstControlPlane
      ? {
          ...mounted,
          extraPortMappings: [
            ...(node.extraPortMappings ?? []),
            { containerPort: etcdMetricsContainerPort, hostPort: options.etcdMetricsHostPort, listenAddress: '127.0.0.1', protocol: 'TCP' },
          ],
        }
      : mounted;
  });
  return `# Generated by cpchaos for one run.\n${yaml.dump(config, { lineWidth: -1 })}`;
}
