import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../src/binaries/versions.js';
import { cacheDir } from '../src/paths.js';

const source = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'fleet-go');

/** The client releases the e2e tests compare our agents with: the default, and one before WatchList (1.35). */
export const referenceClientVersions = [defaultKubernetesVersion, 'v1.33.4'];

/** Kubernetes v1.X.Y is client-go v0.X.Y. */
export function clientGoVersionOf(kubernetesVersion: string): string {
  const { minor, patch } = parseKubernetesVersion(kubernetesVersion);
  return `v0.${minor}.${patch}`;
}

/**
 * Builds bench/fleet-go against the client-go of `kubernetesVersion` (modules from the Go
 * module proxy) and returns the binary. Built once per release and source, then cached.
 */
/** What makes bench/fleet-go speak `protocol`: over HTTP/1.1, client-go's DISABLE_HTTP2, which its kubelets read too (closeAllConns). */
export function fleetGoEnv(protocol: 'http1' | 'http2'): Record<string, string> {
  return protocol === 'http1' ? { DISABLE_HTTP2: 'true' } : {};
}

export async function buildFleetGo(kubernetesVersion: string): Promise<string> {
  const version = clientGoVersionOf(kubernetesVersion);
  const goFiles = (await fs.readdir(source)).filter((name) => name.endsWith('.go')).sort();
  const sources = await Promise.all(goFiles.map(async (name) => [name, await fs.readFile(path.join(source, name), 'utf8')] as const));
  const goMod = (await fs.readFile(path.join(source, 'go.mod'), 'utf8')).replace(
    /(k8s\.io\/(?:api|apimachinery|client-go|component-helpers)) v[\d.]+/g,
    `$1 ${version}`,
  );
  const hash = createHash('sha256');
  for (const [name, text] of sources) hash.update(name).update(text);
  const key = hash.update(goMod).digest('hex').slice(0, 12);
  const dir = path.join(cacheDir(), 'bench', `fleet-go-${version}-${key}`);
  const binary = path.join(dir, 'fleet-go');
  if (
    await fs.stat(binary).then(
      () => true,
      () => false,
    )
  )
    return binary;
  const work = `${dir}.build-${process.pid}`;
  await fs.mkdir(work, { recursive: true });
  try {
    for (const [name, text] of sources) await fs.writeFile(path.join(work, name), text);
    await fs.writeFile(path.join(work, 'go.mod'), goMod);
    await execa('go', ['mod', 'tidy'], { cwd: work });
    await execa('go', ['build', '-o', 'fleet-go', '.'], { cwd: work });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(work, dir);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  return binary;
}

/** `node dist/bench/fleet-go-build.js [v1.X.Y ...]`: builds the references (by default the ones the tests run), once each; says where. */
async function main(versions: string[]): Promise<void> {
  for (const version of versions.length > 0 ? versions : referenceClientVersions) {
    const started = Date.now();
    process.stderr.write(`fleet-go: client-go ${clientGoVersionOf(version)} reference (modules from the Go module proxy; minutes the first time)\n`);
    const binary = await buildFleetGo(version);
    process.stderr.write(`fleet-go: ${binary} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`fleet-go: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    process.exit(1);
  });
}
