import test from 'ava';
import { agentNodeCount, firstNodes } from '../../../src/run/agent-nodes.js';

test("one node per agent of each kind: the largest kind's count, and every kind starting at the same node", (t) => {
  const agents = [
    { type: 'kubelet', count: 100 },
    { type: 'kube-proxy', count: 100 },
    { type: 'cni-agent', count: 60 },
  ];
  t.is(agentNodeCount(agents), 100);
  t.deepEqual(firstNodes(agents, 7), [7, 7, 7]);
});

test('a second entry of a kind takes the nodes after its first; the kinds still share them', (t) => {
  const agents = [
    { type: 'kubelet', count: 50 },
    { type: 'kube-proxy', count: 80 },
    { type: 'kubelet', count: 30 },
  ];
  t.is(agentNodeCount(agents), 80);
  t.deepEqual(firstNodes(agents, 0), [0, 0, 50]);
  t.is(agentNodeCount([]), 0);
});
