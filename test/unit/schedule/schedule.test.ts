import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import yaml from 'js-yaml';
import { experimentAccess, createdResources } from '../../../src/experiment/access.js';
import type { Experiment } from '../../../src/experiment/schema.js';
import { catalog } from '../../../src/plugins.js';
import { fixtureCatalog } from '../../fixtures/plugins/index.js';
import { runCli } from '../../helpers/cluster.js';

const experiment = (extra = '', context = 'staging', provider = 'existing') => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: nightly
cluster:
  provider: ${provider}
  context: ${context}
seed:
  - kind: configmaps
    count: 80
  - kind: deployments
    count: 3
agents:
  - type: kube-proxy
    count: 10
faults:
  - type: list-flood
    resource: pods
    clients: 2
    duration: 2s
${extra}hypotheses:
  - name: seeded objects intact
    builtin: objects-intact
`;

async function files(t: ExecutionContext, texts: Record<string, string>): Promise<string[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-unit-schedule-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const written: string[] = [];
  for (const [name, text] of Object.entries(texts)) {
    written.push(path.join(dir, name));
    await fs.writeFile(written.at(-1)!, text);
  }
  return written;
}

type Manifest = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

interface PodSpec {
  serviceAccountName: string;
  containers: { args: string[]; env: { name: string; valueFrom?: { secretKeyRef: { name: string } } }[] }[];
  volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

type CronJob = Manifest & {
  spec: {
    schedule: string;
    concurrencyPolicy: string;
    successfulJobsHistoryLimit: number;
    failedJobsHistoryLimit: number;
    jobTemplate: { spec: { template: { spec: PodSpec } } };
  };
};

async function scheduled(t: ExecutionContext, args: string[], texts: Record<string, string>): Promise<Manifest[]> {
  const written = await files(t, texts);
  const result = await runCli(['schedule', ...written, '--cron', '0 3 * * *', '--image', 'registry.example.com/cpchaos:1', ...args]);
  t.is(result.exitCode, 0, result.all);
  return yaml.loadAll(result.stdout) as Manifest[];
}

test('the ClusterRole allows what the seeds, agents, faults and scrapers ask, and nothing more', async (t) => {
  const manifests = await scheduled(t, [], { 'nightly.yaml': experiment() });
  t.deepEqual(
    manifests.map((m) => m.kind),
    ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'PersistentVolumeClaim', 'CronJob'],
  );
  const role = manifests.find((m) => m.kind === 'ClusterRole')!;
  t.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'delete'] },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'create', 'delete'] },
    { apiGroups: [''], resources: ['nodes', 'services'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'create', 'delete'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['servicecidrs'], verbs: ['list', 'watch'] },
    { nonResourceURLs: ['/metrics', '/version'], verbs: ['get'] },
  ]);
  const binding = manifests.find((m) => m.kind === 'ClusterRoleBinding')!;
  t.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'cpchaos', namespace: 'cpchaos' }]);
});

test('the CronJob forbids overlapping runs, keeps a bounded history, consents to the one context by name and mounts experiments and results', async (t) => {
  const manifests = await scheduled(t, ['--namespace', 'chaos', '--name', 'gate', '--history', '5', '--influxdb', 'http://influx:8086/cpchaos'], {
    'a.yaml': experiment(),
    'b.yaml': experiment().replace('name: nightly', 'name: second'),
  });
  const cron = manifests.find((m) => m.kind === 'CronJob') as CronJob;
  t.is(cron.metadata.namespace, 'chaos');
  t.is(cron.spec.schedule, '0 3 * * *');
  t.is(cron.spec.concurrencyPolicy, 'Forbid');
  t.is(cron.spec.successfulJobsHistoryLimit, 5);
  t.is(cron.spec.failedJobsHistoryLimit, 5);
  const pod = cron.spec.jobTemplate.spec.template.spec;
  t.is(pod.serviceAccountName, 'gate');
  t.deepEqual(pod.containers[0]!.args, [
    'run',
    '/etc/cpchaos/experiments/a.yaml',
    '/etc/cpchaos/experiments/b.yaml',
    '--target-existing',
    'staging',
    '--in-cluster',
    '--results',
    '/results',
    '--influxdb',
    'http://influx:8086/cpchaos',
  ]);
  t.is(pod.containers[0]!.env.find((e) => e.name === 'CPCHAOS_INFLUXDB_PASSWORD')?.valueFrom?.secretKeyRef.name, 'gate-influxdb');
  t.is(pod.volumes.find((v) => v.name === 'results')?.persistentVolumeClaim?.claimName, 'gate-results');
  const data = (manifests.find((m) => m.kind === 'ConfigMap') as Manifest & { data: Record<string, string> }).data;
  t.deepEqual(Object.keys(data), ['a.yaml', 'b.yaml']);
  t.is(data['a.yaml'], experiment());
});

test('--results-claim uses an existing claim and makes none', async (t) => {
  const manifests = await scheduled(t, ['--results-claim', 'mine'], { 'a.yaml': experiment() });
  t.false(manifests.some((m) => m.kind === 'PersistentVolumeClaim'));
  const cron = manifests.find((m) => m.kind === 'CronJob') as CronJob;
  t.is(cron.spec.jobTemplate.spec.template.spec.volumes.find((v) => v.name === 'results')?.persistentVolumeClaim?.claimName, 'mine');
});

test('an experiment that cannot run in the cluster it targets is refused with file:line, exit 2, one line, no stack', async (t) => {
  const [file] = await files(t, { 'local.yaml': experiment('', 'staging', 'local').replace('  context: staging\n', '') });
  const result = await runCli(['schedule', file!, '--cron', '0 3 * * *', '--image', 'x']);
  t.is(result.exitCode, 2);
  t.regex(
    result.stderr.trim(),
    new RegExp(`^${file}:6:13: cluster\\.provider: a scheduled run measures the cluster it runs in: provider must be existing \\(is local\\)$`),
  );
});

test('experiments of two contexts are refused: one schedule runs in one cluster', async (t) => {
  const written = await files(t, { 'a.yaml': experiment(), 'b.yaml': experiment('', 'production') });
  const result = await runCli(['schedule', ...written, '--cron', '0 3 * * *', '--image', 'x']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /target staging, production; one schedule runs in one cluster/);
});

test('a fault that declares no access cannot be scheduled, and says so at its place', (t) => {
  const spec = yaml.load(experiment('  - type: outage\n    for: 1s\n')) as Experiment;
  const { problems } = experimentAccess(spec, fixtureCatalog);
  t.deepEqual(problems, [{ path: ['faults', 1, 'type'], message: 'outage does not say what it asks of the API, so it cannot run as a scheduled Job' }]);
});

test("a run's teardown on a cluster it does not own sweeps just the resources it may create", (t) => {
  const spec = yaml.load(experiment('  - type: node-join-burst\n    nodes: 2\n')) as Experiment;
  t.deepEqual(createdResources(spec, catalog).sort(), ['configmaps', 'daemonsets', 'deployments', 'leases', 'namespaces', 'nodes', 'pods']);
});
