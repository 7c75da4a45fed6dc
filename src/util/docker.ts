import { execa } from 'execa';
import { InfrastructureError } from '../errors.js';

/** What is missing, and what to install: the kind path's one-line error (exit 3). */
export async function requireDocker(): Promise<void> {
  const info = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 20_000 });
  if (!info.failed) return;
  if (info.code === 'ENOENT')
    throw new InfrastructureError('the kind provider needs Docker: install it (Debian: apt-get install docker.io) and start the daemon');
  throw new InfrastructureError(`the Docker daemon does not answer (start it: dockerd, or systemctl start docker): ${String(info.stderr).split('\n')[0]}`);
}

export async function imagePresent(image: string): Promise<boolean> {
  const result = await execa('docker', ['image', 'inspect', image], { reject: false }).catch(() => undefined);
  return result?.exitCode === 0;
}

/** A label of a local image, or undefined when the image or the label is not there. */
export async function imageLabel(image: string, label: string): Promise<string | undefined> {
  const result = await execa('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${label}"}}`, image], { reject: false }).catch(
    () => undefined,
  );
  const value = result?.exitCode === 0 ? String(result.stdout).trim() : '';
  return value && value !== '<no value>' ? value : undefined;
}

/** Tries to pull; the first line of Docker's refusal when it cannot (no registry, unknown tag). */
export async function tryPull(image: string, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; reason: string }> {
  const pulled = await execa('docker', ['pull', '-q', image], { reject: false, timeout: 600_000, cancelSignal: signal, all: true });
  if (pulled.exitCode === 0) return { ok: true };
  return { ok: false, reason: String(pulled.all).split('\n').filter(Boolean).pop() ?? `exit ${pulled.exitCode}` };
}

export async function imageId(image: string): Promise<string | undefined> {
  const result = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { reject: false }).catch(() => undefined);
  return result?.exitCode === 0 ? String(result.stdout).trim() : undefined;
}

/** The cgroup version of the Docker host ('1' or '2'), which is what the kind nodes' kubelets see. */
export async function dockerCgroupVersion(): Promise<string | undefined> {
  const result = await execa('docker', ['info', '--format', '{{.CgroupVersion}}'], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
