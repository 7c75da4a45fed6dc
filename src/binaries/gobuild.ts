import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../paths.js';
import { parseKubernetesVersion } from './versions.js';
import type { Artifact } from './types.js';

/**
 * Builds an artifact from the Go module proxy: the path that works on machines
 * with no route to the release downloads. k8s.io/kubernetes and etcd's server both
 * replace their sibling modules with local folders, so `go install pkg@version` is
 * refused; each is built from a small wrapper module generated here that requires
 * the real module and points every replaced sibling at its published version.
 */

export async function goAvailable(): Promise<boolean> {
  try {
    await execa('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

export function goEnvironment(): NodeJS.ProcessEnv {
  const go = path.join(cacheDir(), 'go');
  return {
    ...process.env,
    GOMODCACHE: path.join(go, 'mod'),
    GOCACHE: path.join(go, 'build'),
    // Read-only module folders would make the cache impossible to delete with rm -rf.
    GOFLAGS: '-modcacherw -buildvcs=false',
    CGO_ENABLED: '0',
    GOWORK: 'off',
  };
}

type Runner = (args: string[], cwd: string, extraEnv?: NodeJS.ProcessEnv) => Promise<string>;

function goRunner(logFile: string, onProgress: (text: string) => void, signal?: AbortSignal): Runner {
  const log = createWriteStream(logFile, { flags: 'a' });
  return async (args, cwd, extraEnv = {}) => {
    log.write(`$ go ${args.join(' ')}\n`);
    onProgress(`go ${args[0]}`);
    const child = execa('go', args, { cwd, env: { ...goEnvironment(), ...extraEnv }, extendEnv: false, all: true, reject: false, cancelSignal: signal });
    let output = '';
    child.all?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      log.write(text);
      const lastLine = text.trim().split('\n').pop();
      if (lastLine) onProgress(lastLine);
    });
    const result = await child;
    if (result.exitCode !== 0) {
      const tail = output.trim().split('\n').slice(-15).join('\n');
      throw new Error(`go ${args[0]} failed (exit ${result.exitCode}); full log: ${logFile}\n${tail}`);
    }
    return output;
  };
}

function toolsFile(packages: string[]): string {
  // The classic tools.go pattern: lets `go mod tidy` record every module the
  // commands need without any code of ours importing them.
  return `//go:build tools\n\npackage tools\n\nimport (\n${packages.map((p) => `\t_ "${p}"`).join('\n')}\n)\n`;
}

async function moduleFile(run: Runner, workDir: string, module: string, version: string): Promise<string> {
  const output = await run(['mod', 'download', '-json', `${module}@${version}`], workDir);
  const info = JSON.parse(output.slice(output.indexOf('{'))) as { GoMod?: string; Error?: string };
  if (!info.GoMod) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no go.mod returned'}`);
  return fs.readFile(info.GoMod, 'utf8');
}

/** Local-folder replaces (`k8s.io/api => ./staging/src/k8s.io/api`) of a go.mod. */
export function localReplaces(goMod: string): string[] {
  const modules: string[] = [];
  for (const match of goMod.matchAll(/^\s*(?:replace\s+)?(\S+)(?:\s+v\S+)?\s+=>\s+\.{1,2}\/\S+\s*$/gm)) {
    if (match[1] && match[1] !== 'replace') modules.push(match[1]);
  }
  return modules;
}

/**
 * The staging module version to build with: the release's own (v0.Y.Z), or, where the module
 * proxy does not serve that one, the nearest patch of the same minor it does serve (the
 * highest below, else the lowest above). Staging modules change little between patches.
 */
export function stagingVersionFor(wanted: string, served: readonly string[] | undefined): string {
  if (!served?.length || served.includes(wanted)) return wanted;
  const [, minor, patch] = /^v0\.(\d+)\.(\d+)$/.exec(wanted) ?? [];
  const patches = served.filter((v) => new RegExp(`^v0\\.${minor}\\.\\d+$`).test(v)).map((v) => Number(v.split('.')[2]));
  if (!patches.length) return wanted;
  const below = patches.filter((p) => p <= Number(patch));
  return `v0.${minor}.${below.length ? Math.max(...below) : Math.min(...patches)}`;
}

export function kubernetesWrapperGoMod(upstreamGoMod: string, version: string, served: ReadonlyMap<string, readonly string[]> = new Map()): string {
  const { minor, patch } = parseKubernetesVersion(version);
  const stagingVersion = `v0.${minor}.${patch}`;
  const goLine = /^go\s+\S+$/m.exec(upstreamGoMod)?.[0] ?? 'go 1.24.0';
  const godebug = /^godebug\s+.*$/m.exec(upstreamGoMod)?.[0];
  const replaces = localReplaces(upstreamGoMod).map((m) => `\t${m} => ${m} ${stagingVersionFor(stagingVersion, served.get(m))}`);
  return [
    'module cpchaos.local/kubernetes-build',
    '',
    goLine,
    ...(godebug ? ['', godebug] : []),
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...replaces,
    ')',
    '',
  ].join('\n');
}

function versionLdflags(version: string): string {
  const { major, minor } = parseKubernetesVersion(version);
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    );
  }
  return flags.join(' ');
}

/** The versions the module proxy serves of each module, in one `go list` (a proxy may serve only some patches, or none: -e). */
async function servedVersions(run: Runner, workDir: string, modules: string[]): Promise<Map<string, string[]>> {
  const output = await run(['list', '-m', '-e', '-json', '-versions', ...modules], workDir, { GOFLAGS: `${goEnvironment().GOFLAGS} -mod=mod` });
  const served = new Map<string, string[]>();
  for (const text of output.slice(output.indexOf('{')).split(/(?<=^\})\s*(?=^\{)/m)) {
    const module = JSON.parse(text) as { Path?: string; Versions?: string[] };
    if (module.Path && module.Versions) served.set(module.Path, module.Versions);
  }
  return served;
}

async function buildKubernetes(artifact: Artifact, run: Runner, workDir: string, stagingDir: string): Promise<void> {
  const upstream = await moduleFile(run, workDir, 'k8s.io/kubernetes', artifact.version);
  await fs.rm(path.join(workDir, 'go.mod'), { force: true });
  const served = await servedVersions(run, workDir, localReplaces(upstream));
  await fs.writeFile(path.join(workDir, 'go.mod'), kubernetesWrapperGoMod(upstream, artifact.version, served));
  const packages = artifact.binaries.map((name) => `k8s.io/kubernetes/cmd/${name}`);
  await fs.writeFile(path.join(workDir, 'tools.go'), toolsFile(packages));
  await run(['mod', 'tidy'], workDir);
  await run(
    // -v names each package as it is compiled: the only sign of progress in a 10-minute build.
    ['build', '-v', '-trimpath', '-tags', 'selinux,notest,grpcnotrace', '-ldflags', versionLdflags(artifact.version), '-o', `${stagingDir}/`, ...packages],
    workDir,
  );
}

async function buildEtcd(artifact: Artifact, run: Runner, workDir: string, stagingDir: string): Promise<void> {
  const serverModule = 'go.etcd.io/etcd/server/v3';
  const upstream = await moduleFile(run, workDir, serverModule, artifact.version);
  const goLine = /^go\s+\S+$/m.exec(upstream)?.[0] ?? 'go 1.22';
  await fs.writeFile(path.join(workDir, 'go.mod'), `module cpchaos.local/etcd-build\n\n${goLine}\n\nrequire ${serverModule} ${artifact.version}\n`);
  await fs.writeFile(path.join(workDir, 'tools.go'), toolsFile([serverModule]));
  await run(['mod', 'tidy'], workDir);
  await run(['build', '-v', '-trimpath', '-ldflags', '-s -w', '-o', path.join(stagingDir, 'etcd'), serverModule], workDir);
}

/** kwok's and CoreDNS's go.mod have no local replaces, so a plain `go install` works. */
const installable: Partial<Record<Artifact['group'], string>> = {
  kwok: 'sigs.k8s.io/kwok/cmd/kwok',
  coredns: 'github.com/coredns/coredns',
};

async function goInstall(artifact: Artifact, run: Runner, workDir: string, stagingDir: string): Promise<void> {
  await run(['install', '-v', '-trimpath', '-ldflags', '-s -w', `${installable[artifact.group]}@${artifact.version}`], workDir, { GOBIN: stagingDir });
}

/** Builds `artifact` into `stagingDir`. The wrapper module and the build log stay in the cache for inspection. */
export async function goBuildArtifact(artifact: Artifact, stagingDir: string, onProgress: (text: string) => void, signal?: AbortSignal): Promise<void> {
  const workDir = path.join(cacheDir(), 'build', `${artifact.group}-${artifact.version}`);
  await fs.mkdir(workDir, { recursive: true });
  const logFile = path.join(workDir, 'build.log');
  await fs.writeFile(logFile, `cpchaos go build of ${artifact.group} ${artifact.version} at ${new Date().toISOString()}\n`);
  const run = goRunner(logFile, onProgress, signal);
  if (artifact.group === 'kubernetes' || artifact.group === 'kubernetes-node') await buildKubernetes(artifact, run, workDir, stagingDir);
  else if (artifact.group === 'etcd') await buildEtcd(artifact, run, workDir, stagingDir);
  else await goInstall(artifact, run, workDir, stagingDir);
}
