import fs from 'node:fs/promises';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { defaultKubernetesVersion } from '../../src/binaries/versions.js';
import test from 'ava';
import { execa } from 'execa';
import { get } from '../../src/cluster/https.js';
import { isAlive } from '../../src/cluster/process.js';
import { exists, isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { clusterListeners } from '../helpers/listeners.js';

test.before(async () => {
  await isolatedStateDir();
});

async function kubectlAvailable(): Promise<boolean> {
  return execa('kubectl', ['version', '--client']).then(
    () => true,
    () => false,
  );
}

test('up -> create, list, delete with client-node and kubectl -> down leaves nothing behind', async (t) => {
  const cluster = await startCluster(t);
  const state = cluster.state;
  t.regex(cluster.access.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.true(
    cluster.binaries.some((b) => b.name === 'kube-apiserver' && b.reportedVersion === `Kubernetes ${defaultKubernetesVersion}`),
    'apiserver reports a real version',
  );

  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'roundtrip' } } });
  for (let i = 0; i < 20; i++) {
    await core.createNamespacedConfigMap({ namespace: 'roundtrip', body: { metadata: { name: `cm-${i}`, labels: { set: 'a' } }, data: { i: String(i) } } });
  }
  const listed = await core.listNamespacedConfigMap({ namespace: 'roundtrip', labelSelector: 'set=a' });
  t.is(listed.items.length, 20);
  t.deepEqual(
    listed.items.map((cm) => cm.data?.i).sort((a, b) => Number(a) - Number(b)),
    Array.from({ length: 20 }, (_, i) => String(i)),
  );
  await core.deleteNamespacedConfigMap({ name: 'cm-0', namespace: 'roundtrip' });
  t.is((await core.listNamespacedConfigMap({ namespace: 'roundtrip', labelSelector: 'set=a' })).items.length, 19);

  if (await kubectlAvailable()) {
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath };
    await execa('kubectl', ['create', 'configmap', 'from-kubectl', '-n', 'roundtrip', '--from-literal=k=v'], { env });
    const { stdout } = await execa('kubectl', ['get', 'configmaps', '-n', 'roundtrip', '-o', 'name'], { env });
    t.regex(stdout, /configmap\/from-kubectl/);
    t.is(stdout.split('\n').filter((l) => l.startsWith('configmap/cm-')).length, 19);
    await execa('kubectl', ['delete', 'configmap', 'from-kubectl', '-n', 'roundtrip'], { env });
  } else {
    t.log('kubectl not on PATH: kubectl part skipped');
  }

  // Every component is in its own memory cgroup and is counted there.
  const status = await cluster.status();
  t.deepEqual(status.map((s) => s.name).sort(), ['apiserver', 'etcd']);
  for (const component of status) {
    t.true(component.alive);
    t.truthy(component.cgroup);
    t.true((component.memoryUsageBytes ?? 0) > 10 * 1024 ** 2, `${component.name} uses memory inside its cgroup`);
  }

  const pids = Object.values(state.processes).map((p) => p!.pid);
  const cgroups = Object.values(state.cgroups).filter((c): c is string => !!c);
  const ports = Object.values(state.ports);
  t.true(await exists(cgroups[0]!));
  await cluster.down();

  for (const pid of pids) t.false(isAlive(pid), `pid ${pid} gone`);
  for (const cgroup of cgroups) t.false(await exists(cgroup), `${cgroup} removed`);
  t.false(await exists(state.cgroupRoot!), 'cluster cgroup folder removed');
  t.deepEqual(await clusterListeners(ports, state.dir), [], 'nothing of this cluster listens on its ports');
  t.false(await exists(state.dir), 'state folder removed');
  await fs.rm(state.dir, { recursive: true, force: true });
});

test('feature gates and apiserver flags reach the apiserver', async (t) => {
  const cluster = await startCluster(t, { apiserverArgs: { 'max-requests-inflight': '123' }, featureGates: { WatchList: true } });
  const argv = (await fs.readFile(`/proc/${cluster.state.processes.apiserver!.pid}/cmdline`, 'utf8')).split('\0');
  t.true(argv.includes('--max-requests-inflight=123'));
  t.true(argv.includes('--feature-gates=WatchList=true'));
  // The apiserver reports the gates it actually runs with.
  const metrics = await get(`${cluster.access.server}/metrics`, cluster.access);
  t.is(metrics.status, 200);
  t.regex(metrics.body, /kubernetes_feature_enabled\{name="WatchList",stage="[A-Z]+"\} 1/);
});

test('controller-manager and scheduler run, serve TLS from our CA, and reconcile', async (t) => {
  const cluster = await startCluster(t, { components: ['controller-manager', 'scheduler'] });
  t.deepEqual((await cluster.status()).map((s) => s.name).sort(), ['apiserver', 'controller-manager', 'etcd', 'scheduler']);
  for (const target of cluster.metricsTargets()) {
    // A component serves before its delegated authorizer has reached the apiserver (403 until then).
    let response = await get(target.url, target.access);
    for (let i = 0; i < 20 && response.status === 403; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      response = await get(target.url, target.access);
    }
    t.is(response.status, 200, `${target.component} /metrics`);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'example.invalid/web:1' }] } },
      },
    },
  });
  // The deployment and replicaset controllers turn one Deployment into two Pods.
  let pods = 0;
  for (let i = 0; i < 100 && pods < 2; i++) {
    pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items.length;
    if (pods < 2) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.is(pods, 2);
});

test('the API client over HTTP/2 gets its answers, even in a process whose only work is that request', async (t) => {
  const cluster = await startCluster(t);
  const client = new URL('../../src/load/client.js', import.meta.url).href;
  const stats = new URL('../../src/metrics/client-stats.js', import.meta.url).href;
  // Nothing else holds this process's event loop: an unreferenced session would let it exit (13) before the answer.
  const script = `
    const { KubeApiClient } = await import(${JSON.stringify(client)});
    const { ClientStats } = await import(${JSON.stringify(stats)});
    const api = await KubeApiClient.fromKubeconfig(${JSON.stringify(cluster.kubeconfigPath)}, new ClientStats(), { protocol: 'http2' });
    const first = await api.request('GET', '/api/v1/namespaces', { keepBody: true });
    console.log(first.status, JSON.parse(first.body.toString()).kind);`;
  const child = await execa('node', ['--input-type=module', '-e', script], { reject: false });
  t.is(child.exitCode, 0, child.stderr);
  t.is(child.stdout.trim(), '200 NamespaceList');
});
