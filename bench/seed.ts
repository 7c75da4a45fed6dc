/**
 * bench/seed: seed N pods (default 10,000) into a fresh local control plane and report
 * objects/s, p50/p99 create latency, and the runner's own CPU and RSS. With
 * --kube-burner PATH, then seeds the same pods with kube-burner against the same
 * cluster at the same qps and concurrency and prints both side by side.
 * Run: npm run build && node dist/bench/seed.js [--pods 10000] [--qps 0] [--concurrency 50] [--protocol http1|http2] [--kube-burner ~/go/bin/kube-burner]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { benchCluster, flag } from './common.js';
import { ApiClient } from '../src/load/client.js';
import { pods as podKind } from '../src/load/objects/pods.js';
import { seed } from '../src/load/seed.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { formatBytes } from '../src/units.js';

const count = Number(flag('pods', '10000'));
const qps = Number(flag('qps', '0'));
const concurrency = Number(flag('concurrency', '50'));
const kubeBurner = flag('kube-burner', '');
const protocol = flag('protocol', 'http1') === 'http2' ? 'http2' : 'http1';

const cluster = await benchCluster();
try {
  const stats = new ClientStats();
  const client = await ApiClient.fromKubeconfig(cluster.kubeconfigPath, stats, { maxSockets: concurrency, protocol });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const [set] = await seed([{ kind: 'pods', count, qps, concurrency, namespace: 'bench' }], {
    client,
    runId: 'bench',
    experimentDir: process.cwd(),
    event: () => undefined,
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  const creates = stats.totals().find((t) => t.verb === 'create' && t.resource === 'pods')!;
  const rate = set!.objects.length / seconds;
  const cpuCores = (cpu.user + cpu.system) / 1e6 / seconds;
  console.log(
    `cpchaos seed: ${set!.objects.length}/${count} pods in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} pods/s (qps ${qps || 'unlimited'}, concurrency ${concurrency}, ${protocol})`,
  );
  console.log(
    `  create latency p50 ${creates.p50Ms.toFixed(1)} ms, p99 ${creates.p99Ms.toFixed(1)} ms, max ${creates.maxMs.toFixed(0)} ms; status codes ${JSON.stringify(creates.codes)}`,
  );
  console.log(
    `  runner CPU ${(cpuCores * 100).toFixed(0)} % of one core = ${((cpuCores * 100) / (rate / 1000)).toFixed(1)} % per 1,000 objects/s; peak RSS ${formatBytes(peakRss)}`,
  );
  client.close();

  if (kubeBurner) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-kube-burner-'));
    const pod = podKind.build({ set: { kind: 'pods', count, name: 'burner' }, index: 0 });
    pod.metadata.name = 'burner-{{.Iteration}}';
    await fs.writeFile(path.join(dir, 'pod.yaml'), yaml.dump(pod));
    const config = {
      global: { gc: false, measurements: [] },
      jobs: [
        {
          name: 'seed',
          jobType: 'create',
          jobIterations: count,
          qps: qps || 100_000,
          burst: concurrency,
          namespacedIterations: false,
          namespace: 'burner',
          podWait: false,
          waitWhenFinished: false,
          preLoadImages: false,
          objects: [{ objectTemplate: 'pod.yaml', replicas: 1 }],
        },
      ],
    };
    await fs.writeFile(path.join(dir, 'config.yaml'), yaml.dump(config));
    const burnerStarted = performance.now();
    const result = await execa(kubeBurner, ['init', '-c', 'config.yaml', '--kubeconfig', cluster.kubeconfigPath, '--uuid', 'bench'], {
      cwd: dir,
      reject: false,
      all: true,
    });
    const burnerSeconds = (performance.now() - burnerStarted) / 1000;
    const list = await execa('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', 'pods', '-n', 'burner', '--no-headers'], { reject: false });
    const created = list.stdout.split('\n').filter(Boolean).length;
    console.log(
      `kube-burner: ${created}/${count} pods in ${burnerSeconds.toFixed(1)} s = ${(created / burnerSeconds).toFixed(0)} pods/s (exit ${result.exitCode}; includes its start-up)`,
    );
    if (result.exitCode !== 0) console.log(String(result.all).split('\n').slice(-10).join('\n'));
    await fs.rm(dir, { recursive: true, force: true });
  }
} finally {
  await cluster.down();
}
