import path from 'node:path';
import type { PolicyRule } from '../core/access.js';

export interface ScheduleOptions {
  /** Name of the CronJob and of everything around it. */
  name: string;
  namespace: string;
  cron: string;
  image: string;
  /** The experiments' cluster.context: the name the in-cluster identity takes, and the consent the runs carry. */
  context: string;
  /** File name -> YAML text, mounted as they are. */
  experiments: Record<string, string>;
  rules: PolicyRule[];
  results: { claim: string; create?: { size: string; storageClass?: string } };
  /** Runs kept of each outcome. */
  history: number;
  influxdb?: string;
  timeZone?: string;
}

const resultsDir = '/results';
const experimentsDir = '/etc/cpchaos/experiments';
const app = 'cpchaos.io/schedule';

type Manifest = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> };
};

function meta(options: ScheduleOptions, namespaced = true): Manifest['metadata'] {
  return { name: options.name, ...(namespaced ? { namespace: options.namespace } : {}), labels: { [app]: options.name } };
}

/** The runner's arguments: every experiment, consent to the one context, the pod's own identity, results on the claim. */
export function runnerArgs(options: ScheduleOptions): string[] {
  const files = Object.keys(options.experiments).map((f) => path.posix.join(experimentsDir, f));
  return [
    'run',
    ...files,
    '--target-existing',
    options.context,
    '--in-cluster',
    '--results',
    resultsDir,
    ...(options.influxdb ? ['--influxdb', options.influxdb] : []),
  ];
}

function podSpec(options: ScheduleOptions): Record<string, unknown> {
  return {
    serviceAccountName: options.name,
    restartPolicy: 'Never',
    // The claim's files belong to the runner's group, whatever its volume plugin.
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'cpchaos',
        image: options.image,
        imagePullPolicy: 'IfNotPresent',
        args: runnerArgs(options),
        env: [
          { name: 'HOME', value: '/tmp' },
          ...(options.influxdb
            ? [{ name: 'CPCHAOS_INFLUXDB_PASSWORD', valueFrom: { secretKeyRef: { name: `${options.name}-influxdb`, key: 'password', optional: true } } }]
            : []),
        ],
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts: [
          { name: 'experiments', mountPath: experimentsDir, readOnly: true },
          { name: 'results', mountPath: resultsDir },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    ],
    volumes: [
      { name: 'experiments', configMap: { name: options.name } },
      { name: 'results', persistentVolumeClaim: { claimName: options.results.claim } },
      { name: 'tmp', emptyDir: {} },
    ],
  };
}

function cronJob(options: ScheduleOptions): Manifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { ...meta(options), annotations: { 'cpchaos.io/target-context': options.context } },
    spec: {
      schedule: options.cron,
      ...(options.timeZone ? { timeZone: options.timeZone } : {}),
      // Two runs at once would load the control plane twice and each would measure the other.
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: options.history,
      failedJobsHistoryLimit: options.history,
      jobTemplate: {
        metadata: { labels: { [app]: options.name } },
        spec: {
          // A run that failed its gate is an answer, not a glitch: running it again would double the load it put on the cluster.
          backoffLimit: 0,
          template: { metadata: { labels: { [app]: options.name } }, spec: podSpec(options) },
        },
      },
    },
  };
}

function access(options: ScheduleOptions): Manifest[] {
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: options.name };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(options) },
    // Cluster-wide: the runs create namespaces of their own, and nodes, CRDs and flow schemas where their faults do.
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(options, false), rules: options.rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(options, false),
      roleRef,
      subjects: [{ kind: 'ServiceAccount', name: options.name, namespace: options.namespace }],
    },
  ];
}

/** Everything to apply, in the order kubectl can apply it: the namespace, the identity, the experiments, the results claim, the CronJob. */
export function scheduleManifests(options: ScheduleOptions): Manifest[] {
  const manifests: Manifest[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.namespace, labels: { [app]: options.name } } }];
  manifests.push(...access(options));
  manifests.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(options), data: options.experiments });
  const create = options.results.create;
  if (create)
    manifests.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { ...meta(options), name: options.results.claim },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: create.size } },
        ...(create.storageClass !== undefined ? { storageClassName: create.storageClass } : {}),
      },
    });
  manifests.push(cronJob(options));
  return manifests;
}
