import type { ApiClient } from '../core/api-client.js';
import type { Progress } from '../ui/progress.js';
import { collectionOf, listableResources, type ListableResource } from './discover.js';
import { factsOf, readPaged, type Item, type ObjectFacts } from './read.js';
import { resourceShape, sizeStats, type ClusterShape, type PriorityLevelShape } from './shape.js';

export interface ProfileOptions {
  client: ApiClient;
  /** Objects per LIST page. */
  pageSize: number;
  signal?: AbortSignal;
  progress: Progress;
}

interface CrdSpec {
  group: string;
  versions?: { schema?: unknown }[];
}

interface FlowSchemaSpec {
  rules?: { resourceRules?: { verbs?: string[] }[] }[];
}

interface PriorityLevelSpec {
  type: string;
  limited?: { nominalConcurrencyShares?: number; limitResponse?: { queuing?: { queues?: number } } };
}

/** What some kinds tell beyond their size: CRD groups and schemas, APF rules and levels. Counted here, names dropped. */
class Extras {
  crdGroups = new Set<string>();
  schemaBytes: number[] = [];
  flowSchemas = 0;
  listOrWatch = 0;
  levels: PriorityLevelShape[] = [];
  deployments = 0;
  deploymentReplicas = 0;

  see(resource: ListableResource, item: Item): void {
    const spec = item.spec as unknown;
    if (resource.name === 'customresourcedefinitions') {
      const crd = spec as CrdSpec;
      this.crdGroups.add(crd.group);
      this.schemaBytes.push((crd.versions ?? []).reduce((n, v) => n + Buffer.byteLength(JSON.stringify(v.schema ?? {})), 0));
    } else if (resource.name === 'deployments' && resource.group === 'apps') {
      this.deployments++;
      this.deploymentReplicas += (spec as { replicas?: number }).replicas ?? 1;
    } else if (resource.name === 'flowschemas') {
      this.flowSchemas++;
      const verbs = ((spec as FlowSchemaSpec).rules ?? []).flatMap((r) => (r.resourceRules ?? []).flatMap((rr) => rr.verbs ?? []));
      if (verbs.some((v) => v === 'list' || v === 'watch' || v === '*')) this.listOrWatch++;
    } else if (resource.name === 'prioritylevelconfigurations') {
      const level = spec as PriorityLevelSpec;
      const queues = level.limited?.limitResponse?.queuing?.queues;
      this.levels.push({ type: level.type, shares: level.limited?.nominalConcurrencyShares, ...(queues ? { queues } : {}) });
    }
  }
}

/** Reads the cluster with paged LISTs and keeps its shape; nothing is written to it. */
export async function profileCluster(options: ProfileOptions): Promise<ClusterShape> {
  const { client, signal, progress } = options;
  const resources = await listableResources(client, signal);
  // Built-in first: the CRDs say which of the other groups are custom resources (the rest are aggregated APIs).
  const ordered = [...resources.filter((r) => r.builtin), ...resources.filter((r) => !r.builtin)];
  const extras = new Extras();
  const builtin: ClusterShape['builtin'] = {};
  const customFacts: ObjectFacts[] = [];
  const customKinds = new Set<string>();
  const refused: ClusterShape['refused'] = { builtin: [], custom: 0 };
  let aggregated = 0;
  let objects = 0;
  for (const [i, resource] of ordered.entries()) {
    const key = resource.group ? `${resource.name}.${resource.group}` : resource.name;
    if (!resource.builtin && !extras.crdGroups.has(resource.group)) {
      aggregated++;
      continue;
    }
    progress.update(`${i + 1}/${ordered.length} resources, ${objects} objects`);
    const facts: ObjectFacts[] = [];
    const result = await readPaged(
      client,
      collectionOf(resource),
      options.pageSize,
      (item) => {
        facts.push(factsOf(item));
        extras.see(resource, item);
        objects++;
      },
      signal,
    );
    if (result.status === 'refused') {
      if (resource.builtin) refused.builtin.push(`${key} (HTTP ${result.code})`);
      else refused.custom++;
    } else if (resource.builtin) builtin[key] = { namespaced: resource.namespaced, ...resourceShape(facts) };
    else {
      customKinds.add(key);
      customFacts.push(...facts);
    }
  }
  progress.done(`${ordered.length} resources, ${objects} objects`);
  const version = await client.json<{ gitVersion?: string }>('GET', '/version', { signal }).catch(() => ({ gitVersion: undefined }));
  const crdSchemas = sizeStats(extras.schemaBytes);
  return {
    ...(version.gitVersion ? { serverVersion: version.gitVersion } : {}),
    nodes: builtin.nodes ? builtin.nodes.byUsers.count + builtin.nodes.byControlPlane.count : 0,
    namespaces: builtin.namespaces ? builtin.namespaces.byUsers.count + builtin.namespaces.byControlPlane.count : 0,
    builtin,
    custom: { kinds: customKinds.size, ...resourceShape(customFacts) },
    crds: { count: extras.schemaBytes.length, groups: extras.crdGroups.size, ...(crdSchemas ? { schemaBytes: crdSchemas } : {}) },
    replicasPerDeployment: extras.deployments ? extras.deploymentReplicas / extras.deployments : 0,
    apf: { flowSchemas: extras.flowSchemas, listOrWatchFlowSchemas: extras.listOrWatch, priorityLevels: extras.levels },
    refused,
    aggregated,
  };
}
