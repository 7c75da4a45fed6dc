import type { ApiAccess } from '../../core/access.js';
import type { AgentWrite } from '../../core/agent-model.js';
import type { AgentKind } from './types.js';

/** What one of an agent's writes asks of the API. */
export function writeAccess(write: AgentWrite): ApiAccess[] {
  switch (write.kind) {
    case 'register':
      return [{ path: write.path, verbs: ['create', 'get'] }];
    case 'lease':
      return [
        { path: `/apis/coordination.k8s.io/v1/namespaces/${write.namespace}/leases`, verbs: ['get', 'create', 'update'] },
        ...(write.ownerNode ? [{ path: '/api/v1/nodes', verbs: ['get'] } satisfies ApiAccess] : []),
      ];
    case 'node-status':
      return [
        { path: '/api/v1/nodes', verbs: ['get'] },
        { path: `/api/v1/nodes/${write.node}/status`, verbs: ['patch'] },
      ];
  }
}

/** What one agent of a kind asks of the API with `off` parts switched off: its informers' lists and watches, its writes, its CRDs. */
export function agentAccess(kind: AgentKind, off: ReadonlySet<string>): ApiAccess[] {
  const { informers, writes } = kind.model('node', off);
  return [
    ...informers.map((informer) => ({ path: informer.path, verbs: ['list', 'watch'] }) satisfies ApiAccess),
    // The objects its pods name, in any namespace (the kubelet's Node authorizer grants just those).
    ...informers
      .filter((informer) => informer.podObjects)
      .flatMap((): ApiAccess[] => ['/api/v1/configmaps', '/api/v1/secrets'].map((path) => ({ path, verbs: ['list', 'watch'] }))),
    ...writes.flatMap(writeAccess),
    ...(kind.crds ? [{ path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', verbs: ['create', 'get'] } satisfies ApiAccess] : []),
  ];
}
