import test from 'ava';
import { loadExperimentSource } from '../../../src/experiment/load.js';
import { clusterLimitsExceeded, experimentLimitsExceeded } from '../../../src/experiment/object-limits.js';
import type { Experiment } from '../../../src/experiment/schema.js';
import { catalog } from '../../../src/plugins.js';

const experiment = (parts: Partial<Experiment>) => parts as Pick<Experiment, 'seed' | 'agents' | 'faults'>;

test('within the documented limits: no warning', (t) => {
  const within = experiment({
    seed: [
      { kind: 'pods', count: 150_000, namespaces: 50 },
      { kind: 'services', count: 10_000, namespaces: 10 },
      { kind: 'namespaces', count: 9_000 },
    ],
    agents: [{ type: 'kubelet', count: 5_000 }],
  });
  t.deepEqual(experimentLimitsExceeded(within), []);
});

test('each cluster-wide limit alone: nodes, namespaces, pods, services, pods per node', (t) => {
  t.deepEqual(
    clusterLimitsExceeded({ nodes: 5_001 }).map((e) => e.message.split(', the')[0]),
    ['5,001 nodes is past 5,000 per cluster'],
  );
  t.deepEqual(
    clusterLimitsExceeded({ namespaces: 10_001, pods: 150_001, services: 10_001 }).map((e) => e.message.split(', the')[0]),
    ['10,001 namespaces is past 10,000 per cluster', '150,001 pods is past 150,000 per cluster', '10,001 services is past 10,000 per cluster'],
  );
  t.deepEqual(
    clusterLimitsExceeded({ nodes: 10, pods: 1_111 }).map((e) => e.message.split(', the')[0]),
    ['111 pods per node is past 110'],
  );
  t.deepEqual(clusterLimitsExceeded({ nodes: 10, pods: 1_100 }), []);
});

test('nodes are the largest fleet plus the nodes that join; pods count the replicas of deployments', (t) => {
  const exceeded = experimentLimitsExceeded(
    experiment({
      seed: [{ kind: 'deployments', count: 1_000, replicas: 160, namespaces: 500 }],
      agents: [
        { type: 'kubelet', count: 4_000 },
        { type: 'kube-proxy', count: 4_000 },
      ],
      faults: [{ type: 'node-join-burst', nodes: 1_500 }],
    }),
  );
  t.deepEqual(
    exceeded.map((e) => e.message.split(', the')[0]),
    ['5,500 nodes is past 5,000 per cluster', '160,000 pods is past 150,000 per cluster'],
  );
});

test('per namespace: a set past 3,000 pods in each of its namespaces is warned about at its count', (t) => {
  const exceeded = experimentLimitsExceeded(
    experiment({
      seed: [
        { kind: 'configmaps', count: 10 },
        { kind: 'pods', count: 9_000, namespaces: 2 },
      ],
    }),
  );
  t.deepEqual(exceeded, [
    {
      path: ['seed', 1, 'count'],
      message: '4,500 pods per namespace is past 3,000, the documented limit (sig-scalability thresholds.md), past which the SLOs are not promised',
    },
  ]);
});

test('the loader gives the warnings at file:line:column and still loads the experiment', async (t) => {
  const source = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: big
seed:
  - kind: pods
    count: 4000
agents:
  - type: kubelet
    count: 6000
hypotheses:
  - name: alive
    builtin: not-oom-killed
`;
  const loaded = await loadExperimentSource(source, 'big.yaml', catalog);
  t.is(loaded.experiment.metadata.name, 'big');
  t.deepEqual(
    loaded.warnings.map((w) => w.split(', the documented')[0]),
    ['big.yaml:7:12: warning: seed[0].count: 4,000 pods per namespace is past 3,000', 'big.yaml:8:1: warning: agents: 6,000 nodes is past 5,000 per cluster'],
  );
});
