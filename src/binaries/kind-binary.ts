import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../errors.js';
import { cacheDir } from '../paths.js';
import { kindVersion } from './versions.js';

/** kind on PATH, else in our cache, else built from the Go module proxy like the control-plane binaries. */
export async function resolveKind(onProgress?: (line: string) => void, options: { build?: boolean } = {}): Promise<string> {
  const onPath = await execa('kind', ['version'], { reject: false }).catch(() => undefined);
  if (onPath && onPath.exitCode === 0) return 'kind';
  const dir = path.join(cacheDir(), 'bin', `kind-${kindVersion}`);
  const cached = path.join(dir, 'kind');
  if (
    await fs.access(cached).then(
      () => true,
      () => false,
    )
  )
    return cached;
  if (options.build === false) throw new InfrastructureError('kind is not installed');
  const go = await execa('go', ['version'], { reject: false }).catch(() => undefined);
  if (!go || go.exitCode !== 0)
    throw new InfrastructureError(
      `the kind provider needs kind: install it (go install sigs.k8s.io/kind@${kindVersion}, or a release from kind.sigs.k8s.io) or put it on PATH`,
    );
  onProgress?.(`building kind ${kindVersion} with go (once; cached in ${dir})`);
  const built = await execa('go', ['install', `sigs.k8s.io/kind@${kindVersion}`], { env: { GOBIN: dir, CGO_ENABLED: '0' }, reject: false, timeout: 600_000 });
  if (built.exitCode !== 0) throw new InfrastructureError(`kind could not be built: ${String(built.stderr).split('\n').slice(-2).join(' ')}`);
  return cached;
}
