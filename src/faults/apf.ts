import { Type, type Static } from '@sinclair/typebox';
import { get } from '../cluster/https.js';
import type { ApiClient } from '../core/api-client.js';
import { sleep } from '../util/wait.js';
import { Default } from '../experiment/schema-parts.js';
import { defineFault, faultSchema, type FaultContext } from './types.js';

const KubeObject = Type.Object(
  { metadata: Type.Object({ name: Type.String() }, { additionalProperties: true }), spec: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: true, description: 'a flowcontrol.apiserver.k8s.io/v1 object; apiVersion and kind may be left out' },
);

const schema = faultSchema('apf', {
  priorityLevels: Default(Type.Array(KubeObject, { description: 'PriorityLevelConfiguration objects' }), []),
  flowSchemas: Default(Type.Array(KubeObject, { description: 'FlowSchema objects' }), []),
  remove: Default(Type.Boolean({ description: 'delete them again when the fault ends (false: they stay for the rest of the run)' }), false),
});

type FlowObject = Static<typeof KubeObject>;

const base = '/apis/flowcontrol.apiserver.k8s.io/v1';

/** Creates the object, or replaces it when one of that name exists (the suggested defaults, say). */
async function apply(client: ApiClient, collection: string, kind: string, object: FlowObject): Promise<void> {
  const body = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind, ...object };
  const created = await client.request('POST', `${base}/${collection}`, { body });
  if (created.status === 201) return;
  if (created.status !== 409) throw new Error(`create ${kind} ${object.metadata.name}: HTTP ${created.status}: ${created.body?.toString().slice(0, 300)}`);
  const existing = await client.json<{ metadata: { resourceVersion: string } }>('GET', `${base}/${collection}/${object.metadata.name}`);
  const replaced = await client.request('PUT', `${base}/${collection}/${object.metadata.name}`, {
    body: { ...body, metadata: { ...object.metadata, resourceVersion: existing.metadata.resourceVersion } },
  });
  if (replaced.status !== 200) throw new Error(`replace ${kind} ${object.metadata.name}: HTTP ${replaced.status}`);
}

/** Waits until the apiserver's APF controller runs every new priority level (it shows up in /metrics). */
async function waitActive(context: FaultContext, levels: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const metrics = await get(`${context.cluster.access.server}/metrics`, context.cluster.access).catch(() => undefined);
    const missing = levels.filter((level) => !metrics?.body.includes(`apiserver_flowcontrol_nominal_limit_seats{priority_level="${level}"}`));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`priority levels not active after 30s: ${missing.join(', ')}`);
    await sleep(250, context.signal);
  }
}

/**
 * API Priority and Fairness objects given inline: a FlowSchema that isolates
 * expensive LISTs in a priority level of their own, as in the field reports.
 */
export const apf = defineFault({
  type: 'apf',
  description: 'apply FlowSchema and PriorityLevelConfiguration objects',
  schema,
  access: () => [
    { path: '/metrics', verbs: ['get'] },
    { path: `${base}/flowschemas`, verbs: ['get', 'list', 'create', 'update', 'delete'] },
    { path: `${base}/prioritylevelconfigurations`, verbs: ['get', 'list', 'create', 'update', 'delete'] },
  ],
  async run(params, context) {
    const levels = params.priorityLevels;
    const schemas = params.flowSchemas;
    for (const level of levels) await apply(context.client, 'prioritylevelconfigurations', 'PriorityLevelConfiguration', level);
    for (const flowSchema of schemas) await apply(context.client, 'flowschemas', 'FlowSchema', flowSchema);
    await waitActive(
      context,
      levels.map((l) => l.metadata.name),
    );
    context.event('apf-applied', `${levels.length} priority level(s), ${schemas.length} flow schema(s) active`, {
      priorityLevels: levels.map((l) => l.metadata.name),
      flowSchemas: schemas.map((s) => s.metadata.name),
    });
    if (!params.remove) return;
    for (const flowSchema of schemas) await context.client.request('DELETE', `${base}/flowschemas/${flowSchema.metadata.name}`);
    for (const level of levels) await context.client.request('DELETE', `${base}/prioritylevelconfigurations/${level.metadata.name}`);
    context.event('apf-removed', `${levels.length} priority level(s), ${schemas.length} flow schema(s) deleted`);
  },
});
