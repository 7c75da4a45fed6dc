import type { ObjectKind } from './types.js';

export const services: ObjectKind = {
  namespaced: true,
  collectionPath: ({ namespace }) => `/api/v1/namespaces/${namespace}/services`,
  build: ({ set, index }) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${set.name}-${index}` },
    spec: { selector: { app: `${set.name}-${index}` }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
  }),
};
