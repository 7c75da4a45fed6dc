import { execa } from 'execa';
import { builtNodeImage } from '../../src/binaries/kind-image/node-image.js';
import { resolveKind } from '../../src/binaries/kind-binary.js';
import { defaultKubernetesVersion } from '../../src/binaries/versions.js';
import { imagePresent } from '../../src/util/docker.js';

/** Why the kind tests cannot run here, or undefined when they can: Docker answers, kind is built, a node image is here. */
export async function kindSkipReason(): Promise<string | undefined> {
  const info = await execa('docker', ['info'], { reject: false }).catch(() => undefined);
  if (!info) return 'docker is not installed';
  if (info.exitCode !== 0) return 'the Docker daemon is not running (scripts/docker.sh start)';
  if (!(await resolveKind(undefined, { build: false }).catch(() => undefined))) return 'kind is not built (cpchaos binaries --kind-image)';
  const images = [`kindest/node:${defaultKubernetesVersion}`, builtNodeImage(defaultKubernetesVersion)];
  if (!(await imagePresent(images[0]!)) && !(await imagePresent(images[1]!))) return `no node image (${images.join(' or ')}): cpchaos binaries --kind-image`;
  return undefined;
}
