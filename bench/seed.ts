/**
 * bench/seed: how fast cpchaos seeds pods and what it costs, side by side with kube-burner.
 * Each run gets a fresh local control plane; the generator (cpchaos's seed in a process of
 * its own, or kube-burner) creates --pods pods named bench-<i> in namespace bench. A watch
 * from this process times both the same way: first pod ADDED to the last. The generator's
 * CPU seconds in that window and its peak RSS come from /proc. Runs interleave the tools
 * (cpchaos, kube-burner, cpchaos, ...) for every --qps setting (0 = unpaced), --rounds times.
 * Run: npm run build && node dist/bench/seed.js [--pods 10000] [--qps 0,400] [--concurrency 50] [--rounds 3]
 *      [--protocol http1|http2] [--kube-burner /path/to/kube-burner] [--kubernetes-version v1.37.2]
 */
import './help.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { execa, type ResultPromise } from 'execa';
import { benchCluster, flag, median, sampleProcess, type ProcessSample } from './common.js';
import { kubeBurnerConfig, kubeBurnerPodTemplate, podDifference, type Pod } from './seed-kube-burner.js';
import { defaultKubernetesVersion } from '../src/binaries/versions.js';
import type { LocalCluster } from '../src/cluster/local.js';
import { KubeApiClient } from '../src/load/client.js';
import { ClientStats } from '../src/metrics/client-stats.js';
import { formatBytes } from '../src/units.js';

const count = Number(flag('pods', '10000'));
const settings = flag('qps', '0').split(',').map(Number);
const concurrency = Number(flag('concurrency', '50'));
const rounds = Number(flag('rounds', '1'));
const protocol = flag('protocol', 'http1');
const kubeBurner = flag('kube-burner', '');
const kubernetesVersion = flag('kubernetes-version', defaultKubernetesVersion);
type Tool = 'cpchaos' | 'kube-burner';

interface RunResult {
  tool: Tool;
  qps: number;
  created: number;
  windowSeconds: number;
  windowCpuSeconds: number;
  peakRssBytes: number;
  processSeconds: number;
  processCpuSeconds: number;
  podBytes: number;
  exitCode: number | undefined;
  detail: string;
}

/**
 * Counts pods as the apiserver announces them and samples the generator's /proc at the first
 * and the last. An overloaded apiserver may end a slow watcher's watch: it resumes from the
 * last resourceVersion seen, and pods are counted by name, so none is missed or counted twice.
 */
class Observer {
  readonly seen = new Set<string>();
  first?: { at: number; sample?: ProcessSample };
  last?: { at: number; sample?: ProcessSample };
  latest?: ProcessSample;
  resumed = 0;
  private abort?: AbortController;
  private poller?: NodeJS.Timeout;
  private pid?: number;
  private resourceVersion?: string;
  private stopped = false;

  constructor(private readonly kubeconfigPath: string) {}

  async start(): Promise<void> {
    const config = new KubeConfig();
    config.loadFromFile(this.kubeconfigPath);
    const query = this.resourceVersion ? { resourceVersion: this.resourceVersion, allowWatchBookmarks: true } : { allowWatchBookmarks: true };
    this.abort = await new Watch(config).watch(
      '/api/v1/namespaces/bench/pods',
      query,
      (phase, object: { metadata?: { name?: string; resourceVersion?: string } }) => this.onEvent(phase, object),
      () => this.resume(),
    );
  }

  private resume(): void {
    if (this.stopped) return;
    this.resumed++;
    setTimeout(() => void this.start().catch(() => this.resume()), 100);
  }

  follow(pid: number): void {
    this.pid = pid;
    this.poller = setInterval(() => (this.latest = sampleProcess(pid) ?? this.latest), 50);
  }

  private onEvent(phase: string, object: { metadata?: { name?: string; resourceVersion?: string } }): void {
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
    const name = object.metadata?.name;
    if (phase !== 'ADDED' || !name || this.seen.has(name)) return;
    this.seen.add(name);
    const mark = { at: performance.now(), sample: this.pid ? (sampleProcess(this.pid) ?? this.latest) : undefined };
    if (this.seen.size === 1) this.first = mark;
    if (this.seen.size === count) this.last = mark;
  }

  /** Waits for the last pod's event (a little past the generator's exit), then stops. */
  async stop(): Promise<void> {
    for (let waited = 0; this.seen.size < count && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    this.stopped = true;
    clearInterval(this.poller);
    this.abort?.abort();
  }
}

function startGenerator(tool: Tool, qps: number, kubeconfigPath: string, dir: string): ResultPromise {
  if (tool === 'cpchaos') {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seed-generator.js');
    const args = ['--kubeconfig', kubeconfigPath, '--pods', count, '--qps', qps, '--concurrency', concurrency, '--protocol', protocol].map(String);
    return execa(process.execPath, [script, ...args], { reject: false, all: true });
  }
  return execa(kubeBurner, ['init', '-c', 'config.yaml', '--kubeconfig', kubeconfigPath, '--uuid', 'bench'], { cwd: dir, reject: false, all: true });
}

const sampleIndices = [...new Set([0, 1, 7, 49, count - 1])];
const reference = new Map<number, Pod>();

/** Reads a few of the created pods: their size, and for kube-burner's whether they equal cpchaos's field by field. */
async function checkPods(tool: Tool, cluster: LocalCluster): Promise<{ bytes: number; difference?: string }> {
  const client = await KubeApiClient.fromKubeconfig(cluster.kubeconfigPath, new ClientStats());
  let bytes = 0;
  let difference: string | undefined;
  for (const index of sampleIndices) {
    const response = await client.request('GET', `/api/v1/namespaces/bench/pods/bench-${index}`);
    if (response.status !== 200 || !response.body) return { bytes: 0, difference: `bench-${index}: HTTP ${response.status}` };
    bytes += response.bytes;
    const pod = JSON.parse(response.body.toString()) as Pod;
    if (tool === 'cpchaos') reference.set(index, pod);
    else if (reference.has(index)) difference ??= podDifference(reference.get(index)!, pod);
  }
  client.close();
  return { bytes: bytes / sampleIndices.length, difference };
}

/** What a Ctrl-C must take down: the run's cluster, folder and generator. */
let current: { cluster: LocalCluster; dir: string; child?: ResultPromise } | undefined;
// `on`, not `once`: execa's signal-exit kills the process again when it finds no listener but its own (bench/common.ts).
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    current?.child?.kill();
    void Promise.all([current?.cluster.down(), current && fs.rm(current.dir, { recursive: true, force: true })]).finally(() => process.exit(130));
  });

async function runOnce(tool: Tool, qps: number): Promise<RunResult> {
  const cluster = await benchCluster({}, kubernetesVersion);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-bench-seed-'));
  current = { cluster, dir };
  try {
    await fs.writeFile(path.join(dir, 'pod.yaml'), kubeBurnerPodTemplate());
    await fs.writeFile(path.join(dir, 'config.yaml'), kubeBurnerConfig(count, qps, concurrency));
    const observer = new Observer(cluster.kubeconfigPath);
    await observer.start();
    const started = performance.now();
    const child = startGenerator(tool, qps, cluster.kubeconfigPath, dir);
    current.child = child;
    observer.follow(child.pid!);
    const result = await child;
    const processSeconds = (performance.now() - started) / 1000;
    const final = observer.latest;
    await observer.stop();
    const { first, last = { at: performance.now(), sample: final } } = observer;
    const pods = await checkPods(tool, cluster);
    if (pods.difference) throw new Error(`the pods differ: ${pods.difference}`);
    const tail = result.exitCode === 0 ? (tool === 'cpchaos' ? String(result.stdout) : '') : String(result.all).split('\n').slice(-5).join('\n');
    return {
      tool,
      qps,
      created: observer.seen.size,
      windowSeconds: first ? (last.at - first.at) / 1000 : 0,
      windowCpuSeconds: (last.sample?.cpuSeconds ?? final?.cpuSeconds ?? 0) - (first?.sample?.cpuSeconds ?? 0),
      peakRssBytes: final?.peakRssBytes ?? 0,
      processSeconds,
      processCpuSeconds: final?.cpuSeconds ?? 0,
      podBytes: pods.bytes,
      exitCode: result.exitCode,
      detail: observer.resumed ? `${tail}\n  (the watch was ended by the apiserver and resumed ${observer.resumed} times)`.trim() : tail,
    };
  } finally {
    current = undefined;
    await fs.rm(dir, { recursive: true, force: true });
    await cluster.down();
  }
}

function describe(run: RunResult): string {
  const rate = run.created / run.windowSeconds;
  const cpuShare = run.windowCpuSeconds / run.windowSeconds;
  return (
    `${run.tool.padEnd(11)} qps ${String(run.qps || 'unpaced').padEnd(7)} ${run.created}/${count} pods in ${run.windowSeconds.toFixed(1)} s = ${rate.toFixed(0)} pods/s; ` +
    `CPU ${run.windowCpuSeconds.toFixed(2)} s (${(cpuShare * 100).toFixed(0)} % of a core = ${((cpuShare * 100) / (rate / 1000)).toFixed(1)} % per 1,000 pods/s); ` +
    `peak RSS ${formatBytes(run.peakRssBytes)}; whole process ${run.processSeconds.toFixed(1)} s, ${run.processCpuSeconds.toFixed(2)} CPU-s; pod ${run.podBytes.toFixed(0)} B; exit ${run.exitCode}`
  );
}

function summarize(runs: RunResult[]): void {
  console.log('\nmedians (runs interleaved cpchaos, kube-burner, ...):');
  for (const qps of settings) {
    const of = (tool: Tool, value: (run: RunResult) => number) => median(runs.filter((r) => r.tool === tool && r.qps === qps).map(value));
    const figures: [string, (run: RunResult) => number, (n: number) => string][] = [
      ['pods/s', (r) => r.created / r.windowSeconds, (n) => n.toFixed(0)],
      ['window s', (r) => r.windowSeconds, (n) => n.toFixed(1)],
      ['CPU-s in window', (r) => r.windowCpuSeconds, (n) => n.toFixed(2)],
      ['peak RSS MiB', (r) => r.peakRssBytes / 2 ** 20, (n) => n.toFixed(0)],
      ['whole process s', (r) => r.processSeconds, (n) => n.toFixed(1)],
    ];
    for (const [name, value, format] of figures) {
      const ours = of('cpchaos', value);
      const theirs = kubeBurner ? of('kube-burner', value) : NaN;
      const ratio = kubeBurner ? `  kube-burner/cpchaos ${(theirs / ours).toFixed(2)}` : '';
      console.log(
        `  qps ${String(qps || 'unpaced').padEnd(7)} ${name.padEnd(16)} cpchaos ${format(ours)}${kubeBurner ? `  kube-burner ${format(theirs)}` : ''}${ratio}`,
      );
    }
  }
}

const tools: Tool[] = kubeBurner ? ['cpchaos', 'kube-burner'] : ['cpchaos'];
const runs: RunResult[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const qps of settings) {
    for (const tool of tools) {
      const run = await runOnce(tool, qps);
      runs.push(run);
      console.log(`round ${round}: ${describe(run)}`);
      if (run.exitCode !== 0 || run.created < count) console.log(`  ${run.detail}`);
    }
  }
}
summarize(runs);
