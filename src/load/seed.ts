import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import type { SeedSet } from '../experiment/schema.js';
import { startProgress, type Progress } from '../ui/progress.js';
import { sleep } from '../util/wait.js';
import type { ApiClient } from '../core/api-client.js';
import { crdNames } from './objects/crds.js';
import { collectionPath } from './resources.js';
import { objectKinds } from './objects/index.js';
import { padTo, servedOverhead, sizeAt } from './sizes.js';
import type { BuildContext, KubeObject } from './objects/types.js';
import type { EventFn } from '../core/sample.js';
import type { IntegrityResult, SeededObject, SeededSet } from '../core/seeded.js';

export const runLabel = 'cpchaos.io/run';
export const setLabel = 'cpchaos.io/set';

export interface SeedOptions {
  client: ApiClient;
  runId: string;
  experimentDir: string;
  signal?: AbortSignal;
  quiet?: boolean;
  /** Where progress goes (a run's live output); by default a line of its own on stderr. */
  progress?: (label: string) => Progress;
  event: EventFn;
  /** The node of the index-th object of a set with `onAgentNodes` (the experiment's agent nodes, round-robin). */
  agentNode?: (index: number) => string;
}

function render(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string') return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
  if (Array.isArray(template)) return template.map((item) => render(item, values));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, render(v, values)]));
  return template;
}

async function loadTemplate(set: SeedSet, experimentDir: string): Promise<Record<string, unknown> | undefined> {
  if (set.template) return set.template;
  if (!set.templateFile) return undefined;
  return yaml.load(await fs.readFile(path.resolve(experimentDir, set.templateFile), 'utf8')) as Record<string, unknown>;
}

/** A pod bound to a node, as the scheduler binds it: that node's kubelet and CNI agent list and watch it. */
function bindToNode(object: KubeObject, node: string): void {
  const pod = object as KubeObject & { spec?: { nodeName?: string } };
  pod.spec = { ...pod.spec, nodeName: node };
}

async function ensureNamespace(client: ApiClient, name: string, runId: string): Promise<void> {
  const response = await client.withRetry('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [runLabel]: runId } } },
  });
  if (response.status !== 201 && response.status !== 409) throw new Error(`could not create namespace ${name}: HTTP ${response.status}`);
}

async function waitEstablished(client: ApiClient, names: string[], signal?: AbortSignal): Promise<void> {
  for (const name of names) {
    for (let attempt = 0; ; attempt++) {
      const crd = await client.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        { signal },
      );
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (attempt > 600) throw new Error(`CRD ${name} not established after 60s`);
      await sleep(100, signal);
    }
  }
}

/** The namespaces a set spreads over, created first; [undefined] for cluster-scoped kinds. */
async function prepareNamespaces(set: SeedSet, namespaced: boolean, client: ApiClient, runId: string): Promise<(string | undefined)[]> {
  const base = set.namespace ?? 'cpchaos-seed';
  const namespaces = namespaced ? (set.namespaces ? Array.from({ length: set.namespaces }, (_, i) => `${base}-${i}`) : [base]) : [undefined];
  for (const namespace of namespaces) if (namespace) await ensureNamespace(client, namespace, runId);
  return namespaces;
}

/** fn(0) .. fn(count - 1), `concurrency` at a time, index i started no sooner than i / qps seconds after `started` (qps 0: no pacing). */
async function paced(count: number, concurrency: number, qps: number, started: number, signal: AbortSignal | undefined, fn: (index: number) => Promise<void>) {
  let issued = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, Math.max(1, count)) }, async () => {
      while (issued < count && !signal?.aborted) {
        const index = issued++;
        const due = qps > 0 ? started + (index * 1000) / qps : 0;
        if (due > Date.now()) await sleep(due - Date.now(), signal);
        await fn(index);
      }
    }),
  );
}

/** Where the set's objects are listed: what the integrity check and the agents read. */
function listPathsOf(set: SeedSet, crds: SeededSet['crds']): string[] {
  if (set.kind === 'crds') return ['/apis/apiextensions.k8s.io/v1/customresourcedefinitions'];
  if (set.kind === 'customresources') return [...new Set((crds ?? []).map((c) => `/apis/${c.group}/${c.version}/${c.plural}`))];
  return [collectionPath(set.kind)];
}

async function seedSet(set: SeedSet & { name: string }, previous: SeededSet[], options: SeedOptions): Promise<SeededSet> {
  const { client, runId, signal } = options;
  const kind = objectKinds[set.kind];
  const template = await loadTemplate(set, options.experimentDir);
  const crds = set.kind === 'customresources' ? previous.find((s) => s.name === set.crdSet)?.crds : undefined;
  if (set.kind === 'customresources' && !crds) throw new Error(`seed set "${set.name}": crdSet "${set.crdSet}" names no earlier crds set`);

  const namespaces = await prepareNamespaces(set, kind.namespaced, client, runId);

  const qps = set.qps ?? 100;
  const concurrency = set.concurrency ?? 20;
  const started = Date.now();
  const objects: SeededObject[] = [];
  let failed = 0;
  let reportedErrors = 0;
  const progress = options.progress ? options.progress(`seed ${set.name}`) : startProgress(`seed ${set.name}`, { quiet: options.quiet });

  const build = (index: number) => {
    const context: BuildContext = { set, index, namespace: namespaces[index % namespaces.length], crds };
    const node = set.onAgentNodes ? options.agentNode?.(index) : undefined;
    const object = (template ? render(template, { index: String(index), set: set.name, ...(node ? { node } : {}) }) : kind.build(context)) as KubeObject;
    if (node) bindToNode(object, node);
    object.metadata = { ...object.metadata, name: object.metadata?.name ?? `${set.name}-${index}` };
    object.metadata.labels = { ...object.metadata.labels, [runLabel]: runId, [setLabel]: set.name };
    return { context, object, collection: kind.collectionPath(context) };
  };
  const first = set.sizes ? build(0) : undefined;
  const overhead = first ? await servedOverhead(client, first.collection, first.object, signal) : undefined;

  const createOne = async (index: number) => {
    const { context, object: built, collection } = build(index);
    const object = set.sizes && overhead ? padTo(built, sizeAt(set.sizes, index, set.count), overhead, index) : built;
    const response = await client.withRetry('POST', collection, { body: object, signal, keepBody: false }).catch((error: Error) => ({ status: 0, error }));
    // 409: an earlier attempt that timed out on our side did create it.
    if (response.status === 201 || response.status === 409) {
      objects.push({ index, path: `${collection}/${object.metadata.name}`, name: object.metadata.name, namespace: context.namespace });
    } else {
      failed++;
      if (reportedErrors++ < 5)
        options.event('seed-error', `create ${set.name}-${index}: ${'error' in response ? response.error.message : `HTTP ${response.status}`}`, {
          set: set.name,
        });
    }
    const done = objects.length + failed;
    if (done % 50 === 0 || done === set.count) {
      const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
      progress.update(`${done}/${set.count} (${rate.toFixed(0)}/s${failed ? `, ${failed} failed` : ''})`);
    }
  };

  await paced(set.count, concurrency, qps, started, signal, createOne).catch((error: unknown) => {
    progress.done('interrupted');
    throw error;
  });
  const durationMs = Date.now() - started;
  objects.sort((a, b) => a.index - b.index);
  progress.done(`${objects.length} created, ${failed} failed, ${(objects.length / Math.max(0.001, durationMs / 1000)).toFixed(0)} objects/s`);

  const seeded: SeededSet = {
    name: set.name,
    kind: set.kind,
    requested: set.count,
    objects,
    failed,
    durationMs,
    labelSelector: `${runLabel}=${runId},${setLabel}=${set.name}`,
    listPaths: listPathsOf(set, crds),
  };
  if (set.kind === 'crds') {
    seeded.crds = Array.from({ length: set.count }, (_, i) => crdNames(set.name, i, set.groups ?? 1));
    await waitEstablished(
      client,
      seeded.objects.map((o) => o.name),
      signal,
    );
  }
  options.event('seed-done', `${set.name}: ${objects.length}/${set.count} ${set.kind} in ${(durationMs / 1000).toFixed(1)}s`, {
    set: set.name,
    created: objects.length,
    failed,
    durationMs,
  });
  return seeded;
}

/** Creates every seed set in order (a customresources set needs its crds set first). */
export async function seed(sets: SeedSet[], options: SeedOptions): Promise<SeededSet[]> {
  const done: SeededSet[] = [];
  for (const set of sets) done.push(await seedSet({ ...set, name: set.name ?? set.kind }, done, options));
  return done;
}

/** Lists each set by its labels and compares with what seeding created. */
export async function checkIntegrity(client: ApiClient, sets: SeededSet[]): Promise<IntegrityResult[]> {
  const results: IntegrityResult[] = [];
  for (const set of sets) {
    const found = new Set<string>();
    for (const listPath of set.listPaths) {
      let continueToken = '';
      do {
        const query = new URLSearchParams({ labelSelector: set.labelSelector, limit: '500', ...(continueToken ? { continue: continueToken } : {}) });
        const list = await client.json<{ items: { metadata: { name: string; namespace?: string } }[]; metadata: { continue?: string } }>(
          'GET',
          `${listPath}?${query}`,
        );
        for (const item of list.items) found.add(`${item.metadata.namespace ?? ''}/${item.metadata.name}`);
        continueToken = list.metadata.continue ?? '';
      } while (continueToken);
    }
    const missing = set.objects.filter((o) => !found.has(`${o.namespace ?? ''}/${o.name}`)).map((o) => (o.namespace ? `${o.namespace}/${o.name}` : o.name));
    results.push({ set: set.name, expected: set.objects.length, found: set.objects.length - missing.length, missing });
  }
  return results;
}
