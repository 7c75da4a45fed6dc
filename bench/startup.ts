/**
 * bench/startup: time from `up` to a ready apiserver with warm binaries, idle RSS of
 * each component, and (with --cold) the cold build time of every binary into an
 * empty cache. Run: npm run bench:startup [-- --runs 5] [-- --cold]
 */
import './help.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinaries } from '../src/binaries/resolve.js';
import { allBinaries } from '../src/binaries/types.js';
import { defaultKubernetesVersion, versionSet } from '../src/binaries/versions.js';
import { LocalProvider } from '../src/cluster/local.js';
import { formatBytes } from '../src/units.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? '') : undefined;
}

async function rssOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function coldBuild(): Promise<void> {
  const cache = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-cold-cache-'));
  process.env.CPCHAOS_CACHE_DIR = cache;
  process.env.CPCHAOS_NO_DOWNLOAD = '1';
  try {
    for (const name of ['kube-apiserver', 'etcd', 'kwok'] as const) {
      const started = Date.now();
      const resolved = await resolveBinaries({
        versions: versionSet(),
        names: name === 'kube-apiserver' ? ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] : [name],
      });
      console.log(
        `cold build ${name === 'kube-apiserver' ? 'kube-apiserver + controller-manager + scheduler' : name}: ${((Date.now() - started) / 1000).toFixed(0)} s (${resolved[name]?.reportedVersion})`,
      );
    }
  } finally {
    await fs.rm(cache, { recursive: true, force: true });
    delete process.env.CPCHAOS_CACHE_DIR;
  }
}

async function warmStartup(runs: number): Promise<void> {
  await resolveBinaries({ versions: versionSet(), names: allBinaries });
  const times: number[] = [];
  const rss: Record<string, number[]> = {};
  for (let run = 0; run < runs; run++) {
    const started = Date.now();
    const cluster = await new LocalProvider().up(
      { kubernetesVersion: defaultKubernetesVersion, components: ['controller-manager', 'scheduler'], memoryLimits: {}, apiserverArgs: {}, featureGates: {} },
      { quiet: true },
    );
    const upMs = Date.now() - started;
    times.push(upMs);
    // Idle: let the apiserver finish its post-start hooks and the controllers their first sync.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    for (const status of await cluster.status()) (rss[status.name] ??= []).push(await rssOf(status.pid!));
    await cluster.down();
    console.log(`run ${run + 1}: up -> ready (etcd, apiserver, controller-manager, scheduler) ${(upMs / 1000).toFixed(2)} s`);
  }
  console.log(
    `\nup -> ready with warm binaries over ${runs} runs: median ${(median(times) / 1000).toFixed(2)} s, min ${(Math.min(...times) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s`,
  );
  for (const [component, values] of Object.entries(rss)) console.log(`idle RSS ${component.padEnd(20)} median ${formatBytes(median(values))}`);
}

if (flag('cold') !== undefined) await coldBuild();
else await warmStartup(Number(flag('runs') ?? 5));
