import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { LocalProvider, type LocalCluster } from '../../src/cluster/local.js';
import type { ClusterSpec } from '../../src/core/cluster.js';
import { defaultKubernetesVersion } from '../../src/binaries/versions.js';
import type { Summary } from '../../src/report/summary.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
export const cliPath = path.join(repoRoot, 'bin', 'cpchaos.js');

/** Each test file keeps its clusters' state in a folder of its own, so `down --all` in one file cannot touch another's. */
export async function isolatedStateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-test-state-'));
  process.env.CPCHAOS_STATE_DIR = dir;
  return dir;
}

export function testSpec(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    kubernetesVersion: defaultKubernetesVersion,
    components: [],
    memoryLimits: {},
    apiserverArgs: {},
    featureGates: {},
    // Tests measure behaviour, not etcd's disk latency.
    etcdUnsafeNoFsync: true,
    ...overrides,
  };
}

/** A real local cluster, torn down when the test ends whatever happens. */
export async function startCluster(t: ExecutionContext, overrides: Partial<ClusterSpec> = {}): Promise<LocalCluster> {
  const cluster = await new LocalProvider().up(testSpec(overrides), { quiet: true });
  t.teardown(() => cluster.down());
  return cluster;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await execa('node', [cliPath, ...args], { env: { ...process.env, ...env }, reject: false, all: true });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), all: String(result.all) };
}

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Writes an experiment as <name>.yaml into a fresh folder, which also takes its results. */
export async function writeExperiment(name: string, text: string): Promise<{ dir: string; file: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `cpchaos-${name}-`));
  const file = path.join(dir, `${name}.yaml`);
  await fs.writeFile(file, text);
  return { dir, file };
}

/** Writes an experiment into a fresh folder and runs it with the CLI; returns the result, its folder and summary. */
export async function runExperimentText(name: string, text: string): Promise<{ result: CliResult; dir: string; runDir: string; summary: Summary }> {
  const { dir, file } = await writeExperiment(name, text);
  const result = await runCli(['run', file, '--results', dir, '--run-id', name]);
  const runDir = path.join(dir, name);
  const summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
  return { result, dir, runDir, summary };
}
