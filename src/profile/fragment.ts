import yaml from 'js-yaml';
import type { Experiment, SeedSet } from '../experiment/schema.js';
import { experimentLimitsExceeded } from '../experiment/object-limits.js';
import { formatBytes } from '../units.js';
import type { ClusterShape, ObjectsShape } from './shape.js';

/** Built-in resources a seed set can make, by the profile's key. */
const seedable: Record<string, SeedSet['kind']> = {
  pods: 'pods',
  configmaps: 'configmaps',
  secrets: 'secrets',
  services: 'services',
  'deployments.apps': 'deployments',
  'customresourcedefinitions.apiextensions.k8s.io': 'crds',
};

/** A provider-sized schema (two versions of ~105 KB) fits better than three fields past this. */
const providerSchemaBytes = 50_000;

function seedSet(kind: SeedSet['kind'], objects: ObjectsShape, scale: number): SeedSet {
  const count = Math.round(objects.count * scale);
  const namespaces = Math.min(count, Math.round(objects.namespaces * scale));
  const { min, p50, p90, p99, max } = objects.sizes!;
  const sizes = { min, p50, p90, p99, max };
  return { name: kind, kind, count, ...(namespaces > 1 ? { namespaces } : {}), sizes, qps: 0, concurrency: 50 };
}

function seedSets(shape: ClusterShape, scale: number): SeedSet[] {
  const sets: SeedSet[] = [];
  for (const [key, kind] of Object.entries(seedable)) {
    const users = shape.builtin[key]?.byUsers;
    if (!users?.count || !users.sizes) continue;
    const set = seedSet(kind, users, scale);
    if (kind === 'deployments') set.replicas = Math.max(1, Math.round(shape.replicasPerDeployment));
    if (kind === 'crds')
      Object.assign(set, {
        groups: Math.max(1, Math.min(set.count, shape.crds.groups)),
        crdSchema: (shape.crds.schemaBytes?.p50 ?? 0) > providerSchemaBytes ? 'provider' : 'small',
      });
    sets.push(set);
  }
  if (shape.custom.byUsers.count && sets.some((s) => s.kind === 'crds'))
    sets.push({ ...seedSet('customresources', shape.custom.byUsers, scale), crdSet: 'crds' });
  return sets;
}

const describe = (label: string, o: ObjectsShape) =>
  `${o.count} ${label}${o.sizes ? ` (p50 ${formatBytes(o.sizes.p50)}, p99 ${formatBytes(o.sizes.p99)}, ${formatBytes(o.sizes.total)} in all)` : ''}`;

function headerComments(shape: ClusterShape, scale: number): string[] {
  const lines = [
    `Profile of a cluster${shape.serverVersion ? ` running ${shape.serverVersion}` : ''}, scaled by ${scale}: counts and sizes only, no names, labels or data.`,
    `${shape.nodes} nodes, ${shape.namespaces} namespaces, ${shape.crds.count} CRDs in ${shape.crds.groups} groups${shape.crds.schemaBytes ? ` (schemas p50 ${formatBytes(shape.crds.schemaBytes.p50)}, max ${formatBytes(shape.crds.schemaBytes.max)})` : ''}, ${shape.custom.kinds} custom resource kinds.`,
    `APF: ${shape.apf.flowSchemas} FlowSchemas (${shape.apf.listOrWatchFlowSchemas} match LIST or WATCH), priority levels ${shape.apf.priorityLevels.map((l) => (l.shares === undefined ? l.type : `${l.shares} shares${l.queues ? `/${l.queues} queues` : ''}`)).join(', ')}.`,
  ];
  const notSeeded = Object.entries(shape.builtin).filter(([key, r]) => r.byUsers.count && !(key in seedable) && key !== 'namespaces' && key !== 'nodes');
  if (notSeeded.length)
    lines.push('Written by users but not generated (no seed kind for them):', ...notSeeded.map(([key, r]) => `  ${describe(key, r.byUsers)}`));
  const derived = Object.entries(shape.builtin).filter(([, r]) => r.byControlPlane.count);
  if (derived.length)
    lines.push('Written by the control plane alone (a fresh one derives its own):', ...derived.map(([key, r]) => `  ${describe(key, r.byControlPlane)}`));
  if (shape.custom.byControlPlane.count) lines.push(`  ${describe('custom resources', shape.custom.byControlPlane)}`);
  if (shape.refused.builtin.length || shape.refused.custom)
    lines.push(
      `Not readable with this identity: ${[...shape.refused.builtin, ...(shape.refused.custom ? [`${shape.refused.custom} custom resources`] : [])].join(', ')}.`,
    );
  if (shape.aggregated) lines.push(`${shape.aggregated} resources of aggregated APIs not read (not stored in this cluster's etcd).`);
  return lines;
}

function fragmentOf(shape: ClusterShape, scale: number): Partial<Experiment> {
  const fragment: Partial<Experiment> = { seed: seedSets(shape, scale) };
  const nodes = Math.round(shape.nodes * scale);
  if (nodes > 0) fragment.agents = [{ type: 'kubelet', count: nodes }];
  return fragment;
}

const limitWarnings = (fragment: Partial<Experiment>) => experimentLimitsExceeded(fragment).map((e) => `warning: ${e.message}`);

/** What the rebuilt shape would put past the documented limits of Kubernetes' SLOs (a scaled-up profile often does). */
export const shapeWarnings = (shape: ClusterShape, scale: number): string[] => limitWarnings(fragmentOf(shape, scale));

/** The experiment fragment (seed sets and kubelet agents) that rebuilds the shape, `scale` times over, with the profile as comments. */
export function shapeFragment(shape: ClusterShape, scale: number): string {
  const fragment = fragmentOf(shape, scale);
  const comments = [...headerComments(shape, scale), ...limitWarnings(fragment)].map((line) => `# ${line}`.trimEnd());
  return `${comments.join('\n')}\n${yaml.dump(fragment, { lineWidth: 160, noRefs: true })}`;
}
