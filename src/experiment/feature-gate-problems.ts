import { defaultKubernetesVersion } from '../binaries/versions.js';
import { featureGateProblem } from '../binaries/feature-gates.js';
import type { Problem } from '../core/plugin.js';
import type { Experiment } from './schema.js';

const gatePrefix = 'cluster.featureGates.';

/**
 * Feature gates that the Kubernetes version of the experiment, or of one of its variants,
 * would refuse at start (removed, locked, not yet there): reported at the gate, or at the
 * variant's value that brings the conflict in, so that the apiserver never has to fail.
 */
export function featureGateProblems(experiment: Experiment): Problem[] {
  const baseVersion = experiment.cluster?.kubernetesVersion ?? defaultKubernetesVersion;
  const baseGates = experiment.cluster?.featureGates ?? {};
  const problems: Problem[] = [];
  for (const [name, value] of Object.entries(baseGates)) {
    const message = featureGateProblem(name, value, baseVersion);
    if (message) problems.push({ path: ['cluster', 'featureGates', name], message });
  }
  (experiment.variants ?? []).forEach((variant, i) => {
    const set = variant.set ?? {};
    const version = typeof set['cluster.kubernetesVersion'] === 'string' ? set['cluster.kubernetesVersion'] : baseVersion;
    const gates: Record<string, boolean> = { ...baseGates };
    for (const [key, value] of Object.entries(set)) if (key.startsWith(gatePrefix) && typeof value === 'boolean') gates[key.slice(gatePrefix.length)] = value;
    for (const [name, value] of Object.entries(gates)) {
      const message = featureGateProblem(name, value, version);
      // A conflict the base already has is reported once, at the base.
      if (!message || (version === baseVersion && baseGates[name] === value)) continue;
      const key = `${gatePrefix}${name}` in set ? `${gatePrefix}${name}` : 'cluster.kubernetesVersion';
      problems.push({ path: ['variants', i, 'set', key], message: `variant "${variant.name}": ${message}` });
    }
  });
  return problems;
}
