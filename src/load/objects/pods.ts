import type { ObjectKind } from './types.js';

/**
 * A bare pod shaped like a typical application pod (labels, annotations, env,
 * probes, resources, volumes, tolerations), about 2.5 KiB of JSON as created and
 * near the field reports' ~4.4 KB per pod once the apiserver adds defaults and
 * status. With no node to run on it stays Pending.
 */
export const pods: ObjectKind = {
  namespaced: true,
  collectionPath: ({ namespace }) => `/api/v1/namespaces/${namespace}/pods`,
  build: ({ set, index }) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${set.name}-${index}`,
      labels: { app: `app-${index % 50}`, tier: index % 2 ? 'backend' : 'frontend', 'app.kubernetes.io/managed-by': 'cpchaos' },
      annotations: { 'cpchaos.io/index': String(index), 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' },
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: `registry.example.com/team/app-${index % 50}:1.${index % 10}.0`,
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          env: Array.from({ length: 8 }, (_, i) => ({ name: `SETTING_${i}`, value: `value-${index}-${i}` })),
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/livez', port: 8080 }, periodSeconds: 20, failureThreshold: 3 },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/app' },
            { name: 'cache', mountPath: '/var/cache/app' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: `app-${index % 50}-config`, optional: true } },
        { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
      ],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      terminationGracePeriodSeconds: 30,
    },
  }),
};
