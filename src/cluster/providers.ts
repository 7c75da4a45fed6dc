import type { Experiment } from '../experiment/schema.js';
import { ExistingProvider } from './existing.js';
import { KindProvider } from './kind.js';
import { LocalProvider } from './local.js';
import type { ClusterProvider } from './provider.js';

/** The provider an experiment names; `runId` labels what a run creates on a cluster it does not own. */
export function providerFor(experiment: Experiment, options: { runId: string; targetExisting?: string }): ClusterProvider {
  const cluster = experiment.cluster ?? {};
  switch (cluster.provider ?? 'local') {
    case 'existing':
      return new ExistingProvider({ context: cluster.context!, confirmedContext: options.targetExisting, kubeconfig: cluster.kubeconfig, runId: options.runId });
    case 'kind':
      return new KindProvider({ controlPlanes: cluster.controlPlanes ?? 1, nodeImage: cluster.nodeImage });
    case 'local':
      return new LocalProvider();
  }
}
