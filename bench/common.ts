import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { defaultKubernetesVersion } from '../src/binaries/versions.js';
import { LocalProvider, type LocalCluster } from '../src/cluster/local.js';
import type { ApiClient } from '../src/core/api-client.js';
import { parseExposition } from '../src/metrics/scrapers/prometheus.js';
import { statCpuSeconds } from '../src/util/proc-stat.js';

/** What every bench shares: its flags, a local control plane with the default settings, and CPU seconds from /proc. */
export function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/** `--protocol`: the other of http1 and http2 when asked for by name, else `fallback`. */
export function protocolFlag(fallback: 'http1' | 'http2'): 'http1' | 'http2' {
  const other = fallback === 'http1' ? 'http2' : 'http1';
  return flag('protocol', fallback) === other ? other : fallback;
}

export function benchCluster(
  featureGates: Record<string, boolean> = {},
  kubernetesVersion = defaultKubernetesVersion,
  apiserverArgs: Record<string, string> = {},
): Promise<LocalCluster> {
  return new LocalProvider().up({ kubernetesVersion, components: [], memoryLimits: {}, apiserverArgs, featureGates });
}

/**
 * A bench stopped early (Ctrl-C, `timeout`, kill) or crashed takes its control plane down, as a finished one does in its
 * `finally`, so nothing of it is left running; `also` releases what else it made (a scratch folder). The handler
 * stays registered (`on`, not `once`): execa's signal-exit, there for the bench's child processes, kills the
 * process again at once when it finds no listener but its own, which would cut the teardown short.
 */
export function downOnSignal(cluster: LocalCluster, also: () => Promise<unknown> = async () => undefined): void {
  let stopping = false;
  const down = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.error(`${why}: taking the control plane down`);
    void Promise.allSettled([cluster.down(), also()]).finally(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => down(signal, signal === 'SIGINT' ? 130 : 143));
  // A bench that crashed used to leave its control plane running (a 3,000-agent node-agents run did).
  process.on('uncaughtException', (error) => {
    console.error(error);
    down('crashed', 1);
  });
}

/** kube-apiserver flags given as `name=value,name=value` (without dashes), as an experiment's `cluster.apiserverArgs` takes them. */
export function apiserverArgsFlag(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw new Error(`--apiserver-args: "${pair}" is not name=value`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
}

/** User + system CPU seconds of a process, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number | 'self'): Promise<number> {
  return statCpuSeconds(await fs.readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** Resident memory (VmRSS) of a process now, in bytes. */
export function residentBytes(pid: number | 'self'): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

export interface ProcessSample {
  cpuSeconds: number;
  /** VmHWM: the most resident memory the process has had so far. */
  peakRssBytes: number;
}

/** CPU seconds and peak RSS of a running process from /proc, read synchronously so that it lands at the instant asked for; undefined once it has exited. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    // A process that has exited but is not yet reaped has no memory lines left: no sample.
    if (!hwm) return undefined;
    return { cpuSeconds: statCpuSeconds(stat), peakRssBytes: Number(hwm[1]) * 1024 };
  } catch {
    return undefined;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** TLS handshakes the apiserver saw fail or left unfinished by their client (apiserver_tls_handshake_errors_total). */
export async function handshakeErrors(client: ApiClient): Promise<number> {
  const text = (await client.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  return Number(/^apiserver_tls_handshake_errors_total (\S+)$/m.exec(text)?.[1] ?? 0);
}

/** Requests API Priority and Fairness refused so far (apiserver_flowcontrol_rejected_requests_total), by priority level. */
export function apfRejections(client: ApiClient): Promise<Record<string, number>> {
  return apfCounts(client, 'apiserver_flowcontrol_rejected_requests_total', 'priority_level');
}

/** Requests API Priority and Fairness let through so far, by the FlowSchema that classified them: who the apiserver took the clients for. */
export function apfDispatched(client: ApiClient): Promise<Record<string, number>> {
  return apfCounts(client, 'apiserver_flowcontrol_dispatched_requests_total', 'flow_schema');
}

async function apfCounts(client: ApiClient, metric: string, by: string): Promise<Record<string, number>> {
  const text = (await client.request('GET', '/metrics', { keepBody: true })).body?.toString('utf8') ?? '';
  const counts: Record<string, number> = {};
  for (const { labels, value } of parseExposition(text, 0, {}, (name) => name === metric)) counts[labels[by] ?? '?'] = (counts[labels[by] ?? '?'] ?? 0) + value;
  return counts;
}

/**
 * A pod spec that names ConfigMap cm-<n> in a volume, Secret secret-<n> in an env var and
 * kube-root-ca.crt in a projected volume, each an object its kubelet watches on its own;
 * without `n`, a pod that names none.
 */
export function podSpecNaming(n?: number): Record<string, unknown> {
  if (n === undefined) return { containers: [{ name: 'c', image: 'none' }] };
  return {
    volumes: [
      { name: 'settings', configMap: { name: `cm-${n}` } },
      { name: 'ca', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } },
    ],
    containers: [{ name: 'c', image: 'none', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: `secret-${n}`, key: 'p' } } }] }],
  };
}

/** ConfigMaps cm-0.. and Secrets secret-0.. in the default namespace: what podSpecNaming's pods name. */
export async function createNamedObjects(client: ApiClient, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await client.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `cm-${n}` }, data: { k: 'v' } }, keepBody: false });
    await client.request('POST', '/api/v1/namespaces/default/secrets', {
      body: { metadata: { name: `secret-${n}` }, stringData: { p: 'x' } },
      keepBody: false,
    });
  }
}
