import { parseBytes } from '../../units.js';
import { payload, type ObjectKind } from './types.js';

export const secrets: ObjectKind = {
  namespaced: true,
  collectionPath: ({ namespace }) => `/api/v1/namespaces/${namespace}/secrets`,
  build: ({ set, index }) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${set.name}-${index}` },
    type: 'Opaque',
    data: { payload: Buffer.from(payload(parseBytes(set.dataSize ?? '1Ki'), index)).toString('base64') },
  }),
};
