import type { Catalog } from '../core/catalog.js';
import type { Recording } from '../core/plugin.js';
import type { Experiment } from './schema.js';

/** Everything the experiment's built-in hypotheses ask to be recorded, gathered for the scrapers. */
export function experimentRecording(experiment: Experiment, catalog: Catalog): Required<Recording> {
  const recording: Required<Recording> = { metrics: [], promql: [] };
  for (const spec of experiment.hypotheses) {
    if (!('builtin' in spec)) continue;
    const asked = catalog.hypotheses.get(spec.builtin)?.recording?.(spec, experiment);
    recording.metrics.push(...(asked?.metrics ?? []));
    recording.promql.push(...(asked?.promql ?? []));
  }
  recording.metrics = [...new Set(recording.metrics)];
  return recording;
}
