import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { countLabelled, runSelector } from '../../src/cluster/cleanup.js';
import { KindProvider } from '../../src/cluster/kind.js';
import { writeCpchaosImage } from '../../src/image/image.js';
import type { Cluster } from '../../src/core/cluster.js';
import { KubeApiClient } from '../../src/load/client.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import type { Summary } from '../../src/report/summary.js';
import { podsOnlyKubeletParts } from '../helpers/agents.js';
import { isolatedStateDir, runCli, testSpec, writeExperiment } from '../helpers/cluster.js';
import { kindSkipReason } from '../helpers/kind.js';

/**
 * A scheduled run for real: `cpchaos schedule`'s manifests applied to a kind cluster, the
 * CronJob triggered once as a user would, and the Job (the image built here, the pod's own
 * service account with just the derived ClusterRole) running an experiment against the
 * apiserver of the cluster it runs in; and the image it runs, built twice. Serial, with the other kind tests after the rest.
 */
const skip = await kindSkipReason();
const kindTest = skip ? test.serial.skip : test.serial;
const note = skip ? ` (skipped: ${skip})` : '';

test.before(async () => {
  await isolatedStateDir();
});

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

// Needs no Docker, but its 400 MB of writes stall the timing of tests beside it: it runs here, in the serial tail.
test.serial(
  'the cpchaos image builds reproducibly: two builds of one checkout are the same bytes, so the same image id, with one entrypoint for run and agent',
  async (t) => {
    t.timeout(10 * 60_000);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-image-'));
    const log = createWriteStream(path.join(dir, 'build.log'));
    t.teardown(async () => {
      await new Promise((resolve) => log.end(resolve));
      await fs.rm(dir, { recursive: true, force: true });
    });
    const step = { progress: () => undefined, log };
    const archives = [path.join(dir, 'a', 'image.tar'), path.join(dir, 'b', 'image.tar')];
    for (const archive of archives) {
      await fs.mkdir(path.dirname(archive));
      await writeCpchaosImage('cpchaos.local/cpchaos:test', process.execPath, archive, step);
      // Apart in time, so a clock that leaked into the archive would show.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    t.is(await sha256(archives[0]!), await sha256(archives[1]!));
    const listing = (await execa('tar', ['-xOf', archives[0]!, 'manifest.json'])).stdout;
    const [manifest] = JSON.parse(listing) as { Config: string }[];
    const config = JSON.parse((await execa('tar', ['-xOf', archives[0]!, manifest!.Config])).stdout) as { config: { Entrypoint: string[] } };
    t.deepEqual(config.config.Entrypoint, ['/usr/local/bin/node', '/app/bin/cpchaos.js']);
    const files = (await execa('bash', ['-c', 'tar -xOf "$1" layer.tar | tar -t', 'list', archives[0]!], { maxBuffer: 256 * 1024 * 1024 })).stdout;
    for (const wanted of ['./app/dist/src/cli.js', './app/dist/browser/browser/report.js', './app/bin/cpchaos.js', './usr/local/bin/node'])
      t.true(files.split('\n').includes(wanted), `${wanted} is in the image`);
  },
);

const namespace = 'cpchaos-nightly';
const hostResults = '/var/local/cpchaos-results';

const experiment = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: nightly
cluster:
  provider: existing
  context: this-cluster
seed:
  - kind: configmaps
    count: 60
    namespace: cpchaos-nightly-seed
agents:
  - type: kubelet
    count: 10
    ${podsOnlyKubeletParts}
    rampUp: 1s
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 2s
  - type: connection-drop
    at: 3s
observe: 6s
observeAgents: 30s
hypotheses:
  - name: seeded objects intact
    builtin: objects-intact
  - name: every kubelet watching again
    metric: cpchaos_fleet_open_watches
    labels: { agent: kubelet }
    aggregate: last
    comparator: "=="
    threshold: 10
  - name: the apiserver's own metrics were read
    metric: process_resident_memory_bytes
    labels: { component: apiserver }
    aggregate: max
    comparator: ">"
    threshold: 0
`;

async function kubectl(t: ExecutionContext, node: string, args: string[], input?: string): Promise<string> {
  const result = await execa('docker', ['exec', '-i', node, 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', ...args], {
    input,
    reject: false,
    all: true,
  });
  t.is(result.exitCode, 0, `kubectl ${args.join(' ')}: ${result.all}`);
  return result.stdout;
}

/** The claim binds this volume: a folder on the node, so the test can read what the run wrote. */
const volume = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: 'cpchaos-nightly-results' },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: '',
    claimRef: { namespace, name: 'cpchaos-results' },
    hostPath: { path: hostResults, type: 'Directory' },
  },
};

async function jobOutcome(t: ExecutionContext, node: string, job: string): Promise<string> {
  const deadline = Date.now() + 8 * 60_000;
  while (Date.now() < deadline) {
    const conditions = await kubectl(t, node, ['get', 'job', job, '-n', namespace, '-o', 'jsonpath={.status.conditions[?(@.status=="True")].type}']);
    if (/\b(Complete|Failed)\b/.test(conditions)) return conditions;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  return 'timed out';
}

async function labelled(cluster: Cluster): Promise<Record<string, number>> {
  const client = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  try {
    return await countLabelled(client, runSelector());
  } finally {
    client.close();
  }
}

/** What of the run is still there once its namespace has had its time to go (or a minute). */
async function leftAfterDeletion(cluster: Cluster): Promise<Record<string, number>> {
  const deadline = Date.now() + 60_000;
  let left = await labelled(cluster);
  while (Object.keys(left).length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    left = await labelled(cluster);
  }
  return left;
}

kindTest(
  `cpchaos schedule: the CronJob, triggered once, runs the experiment in the cluster with just its derived RBAC, and leaves only its results${note}`,
  async (t) => {
    t.timeout(15 * 60_000);
    const cluster = await new KindProvider({ controlPlanes: 1 }).up(testSpec({ etcdUnsafeNoFsync: false }), { quiet: true });
    t.teardown(() => cluster.down());
    const image = await runCli(['image', '--load-kind', cluster.name]);
    t.is(image.exitCode, 0, image.all);
    const ref = image.stdout.trim();
    t.regex(ref, /^cpchaos\.local\/cpchaos:/);
    const node = (await execa('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${cluster.name}`, '--format', '{{.Names}}'])).stdout.split('\n')[0]!;

    const { dir, file } = await writeExperiment('nightly', experiment);
    const manifests = await runCli(['schedule', file, '--cron', '0 3 * * *', '--image', ref, '--namespace', namespace, '--storage-class', '']);
    t.is(manifests.exitCode, 0, manifests.all);
    const role = (yaml.loadAll(manifests.stdout) as { kind: string; rules?: { resources?: string[] }[] }[]).find((m) => m.kind === 'ClusterRole');
    t.deepEqual(role?.rules?.flatMap((r) => r.resources ?? []).sort(), ['configmaps', 'namespaces', 'pods'], 'the role names just what the experiment touches');

    await execa('docker', ['exec', node, 'install', '-d', '-m', '0777', hostResults]);
    await kubectl(t, node, ['apply', '-f', '-'], yaml.dump(volume));
    await kubectl(t, node, ['apply', '-f', '-'], manifests.stdout);
    await kubectl(t, node, ['create', 'job', '--from=cronjob/cpchaos', 'nightly-now', '-n', namespace]);
    const outcome = await jobOutcome(t, node, 'nightly-now');
    const logs = await execa('docker', ['exec', node, 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'logs', '-n', namespace, 'job/nightly-now'], {
      reject: false,
      all: true,
    });
    t.regex(outcome, /Complete/, `job: ${outcome}\n${logs.all}`);
    t.regex(logs.stdout, /passed: nightly/);

    const found = await execa('docker', ['exec', node, 'sh', '-c', `cat ${hostResults}/*/summary.json`], { reject: false, all: true });
    t.is(found.exitCode, 0, `the run folder is on the claim: ${found.all}`);
    const summary = JSON.parse(found.stdout) as Summary;
    t.is(summary.exitCode, 0);
    t.true(summary.verdicts.length >= 3 && summary.verdicts.every((v) => v.status === 'held'), JSON.stringify(summary.verdicts));
    const report = await execa('docker', ['exec', node, 'sh', '-c', `test -s ${hostResults}/*/report.html`], { reject: false });
    t.is(report.exitCode, 0, 'the run wrote its report.html too');
    t.deepEqual(await leftAfterDeletion(cluster), {}, 'nothing of the run is left on the cluster');
    t.log(`${dir}: ${summary.runId}`);
  },
);
