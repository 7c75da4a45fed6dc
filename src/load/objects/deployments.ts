import type { ObjectKind } from './types.js';

export const deployments: ObjectKind = {
  namespaced: true,
  collectionPath: ({ namespace }) => `/apis/apps/v1/namespaces/${namespace}/deployments`,
  build: ({ set, index }) => {
    const app = `${set.name}-${index}`;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app },
      spec: {
        replicas: set.replicas ?? 1,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
        },
      },
    };
  },
};
