import { Option } from 'commander';
import { defaultKubernetesVersion, oldestKubernetesVersion, parseKubernetesVersion } from '../binaries/versions.js';

/** `oldest` and `newest` name the ends of the supported range, so that scripts (and CI) need not spell the versions. */
export const kubernetesVersionOption = () =>
  new Option(
    '--kubernetes-version <version>',
    `Kubernetes version of the control-plane binaries: vMAJOR.MINOR.PATCH from 1.${parseKubernetesVersion(oldestKubernetesVersion).minor} on, or oldest (${oldestKubernetesVersion}) or newest (${defaultKubernetesVersion})`,
  )
    .default(defaultKubernetesVersion)
    .argParser((value: string) => (value === 'oldest' ? oldestKubernetesVersion : value === 'newest' ? defaultKubernetesVersion : value));

export const binDirOption = () => new Option('--bin-dir <dir>', 'folder with ready binaries to use first (also CPCHAOS_BIN_DIR)');

export function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}
