import test from 'ava';
import { kubeProxy } from '../../../../src/load/agents/kube-proxy.js';

const resources = (minor?: number, off: string[] = []) => kubeProxy.model('n-1', new Set(off), minor).informers.map((i) => i.resource);

test('kube-proxy watches ServiceCIDRs from 1.33, where MultiCIDRServiceAllocator is on by default, and by default', (t) => {
  t.deepEqual(resources(32), ['services', 'endpointslices', 'nodes']);
  t.deepEqual(resources(33), ['services', 'endpointslices', 'nodes', 'servicecidrs']);
  t.deepEqual(resources(), ['services', 'endpointslices', 'nodes', 'servicecidrs']);
  t.deepEqual(resources(37, ['serviceCIDRs']), ['services', 'endpointslices', 'nodes']);
});
