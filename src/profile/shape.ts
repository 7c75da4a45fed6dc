import { quantileSorted } from 'simple-statistics';
import type { ObjectFacts } from './read.js';

export interface SizeStats {
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}

export interface ObjectsShape {
  count: number;
  namespaces: number;
  sizes?: SizeStats;
}

/** One resource as a profile records it: users' objects apart from those the control plane derives. */
export interface ResourceShape {
  byUsers: ObjectsShape;
  byControlPlane: ObjectsShape;
}

export interface PriorityLevelShape {
  type: string;
  shares?: number;
  queues?: number;
}

/** The shape of a cluster: counts and sizes only. Built-in resources by their Kubernetes name; the cluster's own APIs anonymous. */
export interface ClusterShape {
  serverVersion?: string;
  nodes: number;
  namespaces: number;
  /** Built-in resources, keyed "pods" or "deployments.apps". */
  builtin: Record<string, ResourceShape & { namespaced: boolean }>;
  /** Every custom resource together; kinds and groups counted, never named. */
  custom: ResourceShape & { kinds: number };
  crds: { count: number; groups: number; schemaBytes?: SizeStats };
  /** Mean spec.replicas of the deployments: the pods the control plane derives from them. */
  replicasPerDeployment: number;
  apf: { flowSchemas: number; listOrWatchFlowSchemas: number; priorityLevels: PriorityLevelShape[] };
  /** Resources the identity may not LIST: built-in ones by name, the rest counted. */
  refused: { builtin: string[]; custom: number };
  /** Resources of aggregated APIs (served by another server, not stored in etcd): counted, not read. */
  aggregated: number;
}

export function sizeStats(bytes: number[]): SizeStats | undefined {
  if (!bytes.length) return undefined;
  const sorted = [...bytes].sort((a, b) => a - b);
  const at = (p: number) => Math.round(quantileSorted(sorted, p));
  return { min: sorted[0]!, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]!, total: sorted.reduce((a, b) => a + b, 0) };
}

function objectsShape(facts: ObjectFacts[]): ObjectsShape {
  const sizes = sizeStats(facts.map((f) => f.bytes));
  return { count: facts.length, namespaces: new Set(facts.map((f) => f.namespace).filter(Boolean)).size, ...(sizes ? { sizes } : {}) };
}

export function resourceShape(facts: ObjectFacts[]): ResourceShape {
  return { byUsers: objectsShape(facts.filter((f) => !f.byControlPlane)), byControlPlane: objectsShape(facts.filter((f) => f.byControlPlane)) };
}
