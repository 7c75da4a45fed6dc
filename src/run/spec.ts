import { randomBytes } from 'node:crypto';
import { defaultKubernetesVersion } from '../binaries/versions.js';
import type { ClusterSpec } from '../core/cluster.js';
import type { Experiment } from '../experiment/schema.js';
import { parseBytes } from '../units.js';

/** The cluster an experiment asks for, as a provider takes it. */
export function clusterSpec(experiment: Experiment, binDir?: string): ClusterSpec {
  const cluster = experiment.cluster ?? {};
  return {
    name: `run-${randomBytes(3).toString('hex')}`,
    kubernetesVersion: cluster.kubernetesVersion ?? defaultKubernetesVersion,
    etcdVersion: cluster.etcdVersion,
    components: cluster.components ?? [],
    memoryLimits: Object.fromEntries(Object.entries(cluster.memoryLimits ?? {}).map(([c, size]) => [c, parseBytes(size)])),
    apiserverArgs: cluster.apiserverArgs ?? {},
    featureGates: cluster.featureGates ?? {},
    etcdUnsafeNoFsync: cluster.etcdUnsafeNoFsync,
    binDir,
  };
}

export function runIdFor(name: string): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${name}`;
}
