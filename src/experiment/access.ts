import { resourceOf, type ApiAccess } from '../core/access.js';
import type { Catalog } from '../core/catalog.js';
import type { Problem } from '../core/plugin.js';
import { seedAccess } from '../load/seed-access.js';
import { agentAccess } from '../load/agents/access.js';
import type { Experiment } from './schema.js';

export interface ExperimentAccess {
  accesses: ApiAccess[];
  /** What cannot run with a ServiceAccount of its own (a fault that declares nothing), at its path in the experiment. */
  problems: Problem[];
}

/**
 * Everything a run of the experiment asks of the cluster's API: its seeds, agents,
 * faults and scrapers, each as the plugin declares it, plus the version probe every run makes.
 */
export function experimentAccess(experiment: Experiment, catalog: Catalog): ExperimentAccess {
  const accesses: ApiAccess[] = [{ path: '/version', verbs: ['get'] }];
  const problems: Problem[] = [];
  accesses.push(...seedAccess((experiment.seed ?? []).map((set) => ({ ...set, name: set.name ?? set.kind }))));
  (experiment.agents ?? []).forEach((agents) => {
    const kind = catalog.agents.get(agents.type);
    if (kind)
      accesses.push(
        ...agentAccess(
          kind,
          new Set(
            Object.entries(agents.parts ?? {})
              .filter(([, on]) => !on)
              .map(([part]) => part),
          ),
        ),
      );
  });
  (experiment.faults ?? []).forEach((fault, index) => {
    const plugin = catalog.faults.get(fault.type);
    if (plugin?.access) accesses.push(...plugin.access(fault));
    else problems.push({ path: ['faults', index, 'type'], message: `${fault.type} does not say what it asks of the API, so it cannot run as a scheduled Job` });
  });
  for (const scraper of catalog.plugins.scrapers) accesses.push(...(scraper.access ?? []));
  return { accesses, problems };
}

/** The resources ("pods", "customresourcedefinitions") a run may create objects of: the ones its teardown sweeps on a cluster it does not own. */
export function createdResources(experiment: Experiment, catalog: Catalog): string[] {
  const created = experimentAccess(experiment, catalog).accesses.filter((a) => a.verbs.includes('create'));
  return [...new Set(created.map((a) => resourceOf(a.path)?.resource).filter((r): r is string => r !== undefined && r !== '*'))];
}
