import type { TSchema } from '@sinclair/typebox';
import { experimentSchema, sharedClusterSettings } from '../experiment/schema.js';
import { schemaValidator, type SchemaProblem } from '../experiment/validate.js';
import type { AgentKindPlugin, Capability, FaultPlugin, HypothesisPlugin, Plugins, ProviderPlugin } from './plugin.js';

/** The plugins of one program, indexed, with the experiment schema built from them. */
export interface Catalog {
  readonly plugins: Plugins;
  readonly schema: TSchema;
  readonly faults: ReadonlyMap<string, FaultPlugin>;
  readonly hypotheses: ReadonlyMap<string, HypothesisPlugin>;
  readonly providers: ReadonlyMap<string, ProviderPlugin>;
  readonly agents: ReadonlyMap<string, AgentKindPlugin>;
  schemaProblems(document: unknown): SchemaProblem[];
  /** The providers that have every capability asked for. */
  providersWith(needs: readonly Capability[] | undefined): ProviderPlugin[];
}

function indexBy<T>(kind: string, items: readonly T[], key: (item: T) => string): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (map.has(key(item))) throw new Error(`two ${kind} plugins are named "${key(item)}"`);
    map.set(key(item), item);
  }
  return map;
}

/** Keys two plugins could both claim: a provider's own `cluster:` keys, a sink's `metrics:` name. */
function checkClaims(plugins: Plugins): void {
  const claimed = new Map<string, string>([
    ...sharedClusterSettings.map((k) => [`cluster.${k}`, 'the core'] as const),
    ['metrics.interval', 'the core'],
    ['metrics.include', 'the core'],
  ]);
  const claim = (key: string, by: string) => {
    if (claimed.has(key)) throw new Error(`${by} claims ${key}, which ${claimed.get(key)} already has`);
    claimed.set(key, by);
  };
  for (const p of plugins.providers) for (const key of Object.keys(p.schema ?? {})) claim(`cluster.${key}`, `provider ${p.name}`);
  for (const s of plugins.sinks) if (s.schema) claim(`metrics.${s.name}`, `sink ${s.name}`);
}

export function createCatalog(plugins: Plugins): Catalog {
  checkClaims(plugins);
  const schema = experimentSchema({
    providers: plugins.providers,
    faults: plugins.faults,
    hypotheses: plugins.hypotheses,
    agents: plugins.agents,
    sinks: plugins.sinks,
  });
  const providers = indexBy('provider', plugins.providers, (p) => p.name);
  return {
    plugins,
    schema,
    faults: indexBy('fault', plugins.faults, (f) => f.type),
    hypotheses: indexBy('hypothesis', plugins.hypotheses, (h) => h.name),
    providers,
    agents: indexBy('agent kind', plugins.agents, (a) => a.type),
    schemaProblems: schemaValidator(schema),
    providersWith: (needs) => [...providers.values()].filter((p) => (needs ?? []).every((n) => p.capabilities.includes(n))),
  };
}
