import test from 'ava';
import { ExperimentError, loadExperimentSource } from '../../../src/experiment/load.js';
import { catalog } from '../../../src/plugins.js';

const experiment = (cluster: string, variants = '') => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: gates
cluster:
${cluster}
hypotheses:
  - name: ready
    builtin: ready-within
    within: 30s
${variants}`;

async function problemsOf(source: string): Promise<string[]> {
  try {
    await loadExperimentSource(source, 'gates.yaml', catalog);
    return [];
  } catch (error) {
    if (error instanceof ExperimentError) return error.problems;
    throw error;
  }
}

test('a gate the chosen version no longer has is exit 2 at its line, naming the version', async (t) => {
  const problems = await problemsOf(experiment('  kubernetesVersion: v1.37.2\n  featureGates:\n    ConsistentListFromCache: false'));
  t.deepEqual(problems, [
    'gates.yaml:8:30: cluster.featureGates.ConsistentListFromCache: Kubernetes v1.37.2 no longer accepts feature gate ConsistentListFromCache (GA and locked to true in 1.34, removed in 1.37); drop it or run a version before 1.37',
  ]);
});

test('the same gate on a version that has it loads', async (t) => {
  t.deepEqual(await problemsOf(experiment('  kubernetesVersion: v1.33.13\n  featureGates:\n    ConsistentListFromCache: false')), []);
});

test('a variant that moves to a version refusing a base gate is reported at the variant', async (t) => {
  const variants = `variants:
  - name: old
    set: {}
  - name: newest
    set:
      cluster.kubernetesVersion: v1.37.2
  - name: locked
    set:
      cluster.kubernetesVersion: v1.34.2
      cluster.featureGates.WatchList: true`;
  const problems = await problemsOf(experiment('  kubernetesVersion: v1.33.13\n  featureGates:\n    ConsistentListFromCache: false', variants));
  t.is(problems.length, 2, problems.join('\n'));
  t.regex(
    problems[0]!,
    /^gates\.yaml:18:34: variants\[1\]\.set\.cluster\.kubernetesVersion: variant "newest": Kubernetes v1\.37\.2 no longer accepts feature gate ConsistentListFromCache/,
  );
  t.regex(
    problems[1]!,
    /^gates\.yaml:21:34: variants\[2\]\.set\.cluster\.kubernetesVersion: variant "locked": Kubernetes v1\.34\.2 locks feature gate ConsistentListFromCache to true/,
  );
});

test('without a version the default is checked', async (t) => {
  const problems = await problemsOf(experiment('  featureGates:\n    StreamingCollectionEncodingToJSON: false'));
  t.is(problems.length, 1);
  t.regex(problems[0]!, /Kubernetes v1\.37\.2 no longer accepts feature gate StreamingCollectionEncodingToJSON/);
});
