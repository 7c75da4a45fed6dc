import type { ObjectKind } from './types.js';

export const namespaces: ObjectKind = {
  namespaced: false,
  collectionPath: () => '/api/v1/namespaces',
  build: ({ set, index }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${set.name}-${index}` } }),
};
