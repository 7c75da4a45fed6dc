import { parseBytes } from '../../units.js';
import { payload, type ObjectKind } from './types.js';

export const configmaps: ObjectKind = {
  namespaced: true,
  collectionPath: ({ namespace }) => `/api/v1/namespaces/${namespace}/configmaps`,
  build: ({ set, index }) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${set.name}-${index}` },
    data: { payload: payload(parseBytes(set.dataSize ?? '1Ki'), index) },
  }),
};
