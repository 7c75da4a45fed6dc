import { parseBytes } from '../../units.js';
import { payload, type ObjectKind } from './types.js';

export const configmaps: ObjectKind = {
  namespaced: true,
  collectionPath: ({ namespace }) => `/api/v1/namespaces/${namespace}/configmaps`,
  build: ({ set, index }) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${set.name}-${index}` },
    // With sizes, the padding is the data: no payload of its own to make small ones too big.
    data: { payload: payload(parseBytes(set.dataSize ?? (set.sizes ? '0' : '1Ki')), index) },
  }),
};
