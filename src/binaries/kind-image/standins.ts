import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../paths.js';
import { goEnvironment } from '../gobuild.js';
import { run, type Step } from './step.js';

/** kind/images in the repository: our own small programs that stand in for images no registry serves here. */
export const standinSourceDir = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'kind', 'images');

export type Standin = 'pause' | 'loadbalancer';

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'pause/main.go', 'loadbalancer/main.go']) hash.update(await fs.readFile(path.join(standinSourceDir, file)));
  return hash.digest('hex').slice(0, 12);
}

/** The static binary of a stand-in, built with go once per source version. */
export async function standinBinary(step: Step, name: Standin): Promise<string> {
  const dir = path.join(cacheDir(), 'kind-image', `standins-${await sourceHash()}`);
  const binary = path.join(dir, name);
  if (
    await fs.access(binary).then(
      () => true,
      () => false,
    )
  )
    return binary;
  await fs.mkdir(dir, { recursive: true });
  step.progress(`go build ${name} stand-in`);
  await run(step, 'go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${binary}.tmp`, `./${name}`], {
    cwd: standinSourceDir,
    env: goEnvironment(),
    extendEnv: false,
  });
  await fs.rename(`${binary}.tmp`, binary);
  return binary;
}
