import test from 'ava';
import { isolatedStateDir, runExperimentText } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

const nodes = 10;

const experiment = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: agent-nodes
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: pods
    count: ${4 * nodes}
    qps: 0
    onAgentNodes: true
  - kind: pods
    name: templated
    count: ${nodes}
    qps: 0
    onAgentNodes: true
    template:
      metadata: { name: "t-{{index}}", annotations: { node: "{{node}}" } }
      spec:
        automountServiceAccountToken: false
        containers: [{ name: c, image: none }]
        volumes: [{ name: s, secret: { secretName: shared } }]
agents:
  - type: kubelet
    count: ${nodes}
    rampUp: 0s
  - type: kube-proxy
    count: ${nodes}
    rampUp: 0s
steadyState:
  duration: 2s
observe: 1s
hypotheses:
  - name: the pods stay
    builtin: objects-intact
`;

test("pods seeded onto the agents' nodes: each kubelet lists its own and watches each object they name", async (t) => {
  const { result, summary } = await runExperimentText('agent-nodes', experiment);
  t.is(result.exitCode, 0, result.all);
  const fleet = Object.fromEntries(summary.fleet.map((f) => [f.agent, f]));
  // Pod i is on node i % 10 and names ConfigMap app-<i % 50>-config: node j holds pods j, j+10, j+20, j+30,
  // four ConfigMaps of its own, and its templated pod names Secret "shared". Were the pods not on the
  // kubelets' nodes, no kubelet would see them, nor watch a thing for them.
  t.is(fleet['kubelet/pod-objects']?.requests?.['WATCHLIST rv='], 5 * nodes, 'five object watches per kubelet');
  t.is(fleet['kubelet/pod-objects']?.relists, 0);
  // Its 5 pods arrive as initial events of its pod WatchList, beside its other informers' few.
  t.true((fleet.kubelet?.watchEvents ?? 0) >= 5 * nodes, `kubelet watch events: ${fleet.kubelet?.watchEvents}`);
});
