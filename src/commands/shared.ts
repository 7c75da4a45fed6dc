import { Option } from 'commander';
import { defaultKubernetesVersion } from '../binaries/versions.js';

export const kubernetesVersionOption = () =>
  new Option('--kubernetes-version <version>', 'Kubernetes version of the control-plane binaries').default(defaultKubernetesVersion);

export const binDirOption = () => new Option('--bin-dir <dir>', 'folder with ready binaries to use first (also CPCHAOS_BIN_DIR)');

export function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}
