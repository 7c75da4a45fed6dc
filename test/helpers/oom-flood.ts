import { oldestKubernetesVersion } from '../../src/binaries/versions.js';

/**
 * The field reports' OOM: 8 clients' quorum LISTs of 3,000 configmaps of 10 KiB against the
 * oldest release (no streamed encoding, no LIST from the watch cache). 450Mi of apiserver
 * memory is OOM-killed by it; 4Gi holds it (the peak is about 2 GiB).
 */
export const oomFloodExperiment = (name: string, apiserverLimit: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: ${name}
cluster:
  etcdUnsafeNoFsync: true
  memoryLimits:
    apiserver: ${apiserverLimit}
  kubernetesVersion: ${oldestKubernetesVersion}
  featureGates:
    ConsistentListFromCache: false
seed:
  - kind: configmaps
    count: 3000
    dataSize: 10Ki
    qps: 0
    concurrency: 30
steadyState:
  duration: 1s
faults:
  - type: list-flood
    resource: configmaps
    clients: 8
    listsPerClient: 3
    resourceVersion: ""
observe: 5s
recovery:
  timeout: 60s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
    component: apiserver
  - name: ready again within 45s
    builtin: ready-within
    within: 45s
`;
