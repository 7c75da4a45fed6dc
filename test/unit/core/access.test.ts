import test from 'ava';
import { resourceOf, rulesFor } from '../../../src/core/access.js';

test('resourceOf names the group and resource of core, grouped, namespaced and object paths, and nothing for non-resource URLs', (t) => {
  t.deepEqual(resourceOf('/api/v1/pods'), { group: '', resource: 'pods' });
  t.deepEqual(resourceOf('/api/v1/namespaces/x/configmaps/y?limit=1'), { group: '', resource: 'configmaps' });
  t.deepEqual(resourceOf('/api/v1/namespaces'), { group: '', resource: 'namespaces' });
  t.deepEqual(resourceOf('/api/v1/namespaces/x'), { group: '', resource: 'namespaces' });
  t.deepEqual(resourceOf('/apis/apps/v1/namespaces/x/deployments'), { group: 'apps', resource: 'deployments' });
  t.deepEqual(resourceOf('/apis/coordination.k8s.io/v1/leases'), { group: 'coordination.k8s.io', resource: 'leases' });
  t.is(resourceOf('/metrics'), undefined);
  t.is(resourceOf('/apis'), undefined);
  t.is(resourceOf('/version'), undefined);
});

test('rulesFor unions the verbs per resource, merges resources of one group with equal verbs, and keeps non-resource URLs apart', (t) => {
  const rules = rulesFor([
    { path: '/api/v1/namespaces/a/configmaps', verbs: ['create'] },
    { path: '/api/v1/configmaps', verbs: ['list', 'create'] },
    { path: '/api/v1/secrets', verbs: ['create', 'list'] },
    { path: '/api/v1/pods', verbs: ['watch', 'list'] },
    { path: '/apis/apps/v1/deployments', verbs: ['list', 'create'] },
    { path: '/metrics', verbs: ['get'] },
    { path: '/version', verbs: ['get'] },
  ]);
  t.deepEqual(rules, [
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['list', 'create'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'create'] },
    { nonResourceURLs: ['/metrics', '/version'], verbs: ['get'] },
  ]);
});

test('rulesFor of nothing is no rule at all', (t) => {
  t.deepEqual(rulesFor([]), []);
});
