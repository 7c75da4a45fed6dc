import { newRunState, type RunState } from '../../../src/run/state.js';

/** A journal as the phases leave it, without running any. */
export function journal(overrides: Partial<RunState> = {}): RunState {
  return {
    ...newRunState({
      runId: 'r1',
      dir: '/nowhere',
      experiment: {
        apiVersion: 'cpchaos.io/v1alpha1',
        kind: 'Experiment',
        metadata: { name: 'x' },
        hypotheses: [{ name: 'h', builtin: 'ready-within', within: '1s' }],
      },
      file: 'x.yaml',
      spec: { kubernetesVersion: 'v1.33.13', components: [], memoryLimits: { apiserver: 1024 }, apiserverArgs: {}, featureGates: {} },
      startedAt: Date.parse('2026-01-01T00:00:00Z'),
    }),
    ...overrides,
  };
}
