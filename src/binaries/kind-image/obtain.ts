import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AbortedError, InfrastructureError, messageOf } from '../../errors.js';
import { cacheDir } from '../../paths.js';
import { startProgress } from '../../ui/progress.js';
import { imageId, imagePresent, tryPull } from '../../util/docker.js';
import { ensureLoadBalancerImage } from './load-balancer.js';
import { buildNodeImage } from './node-image.js';
import type { Step } from './step.js';
import type { NodeImage } from '../../core/cluster.js';

export interface ObtainOptions {
  kubernetesVersion: string;
  /** cluster.nodeImage: the user's choice, used as is. */
  given?: string;
  controlPlanes: number;
  quiet?: boolean;
  signal?: AbortSignal;
}

async function withStep<T>(label: string, options: ObtainOptions, work: (step: Step) => Promise<T>): Promise<T> {
  const logFile = path.join(cacheDir(), 'kind-image', 'build.log');
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n# ${label} at ${new Date().toISOString()}\n`);
  const progress = startProgress(label, { quiet: options.quiet });
  try {
    const result = await work({ progress: (text) => progress.update(text), log, signal: options.signal });
    progress.done('ready');
    return result;
  } catch (error) {
    progress.done(`failed: ${messageOf(error).split('\n')[0]}`);
    if (options.signal?.aborted) throw new AbortedError();
    throw new InfrastructureError(`${label} failed (log: ${logFile}): ${messageOf(error)}`);
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
}

/**
 * The node image: the user's, else kind's published kindest/node (here or pulled: a
 * user with a registry never pays for a build), else one built offline and cached.
 */
export async function obtainNodeImage(options: ObtainOptions): Promise<NodeImage> {
  const loadBalancer = options.controlPlanes > 1 ? await withStep('kind load-balancer image', options, ensureLoadBalancerImage) : undefined;
  const lb = loadBalancer ? { loadBalancer } : {};
  if (options.given) {
    if (!(await imagePresent(options.given)) && !(await tryPull(options.given, options.signal)).ok)
      throw new InfrastructureError(`the node image ${options.given} (cluster.nodeImage) is not here and could not be pulled`);
    return { image: options.given, source: 'given', id: await imageId(options.given), ...lb };
  }
  const published = `kindest/node:${options.kubernetesVersion}`;
  if (await imagePresent(published)) return { image: published, source: 'present', id: await imageId(published), ...lb };
  const pulled = await tryPull(published, options.signal);
  if (pulled.ok) return { image: published, source: 'pulled', id: await imageId(published), ...lb };
  const result = await withStep(`kind node image ${options.kubernetesVersion}, built offline (${published} cannot be pulled)`, options, (step) =>
    buildNodeImage(step, options.kubernetesVersion, { quiet: options.quiet }),
  );
  return {
    image: result.image,
    source: result.built ? 'built' : 'built-earlier',
    id: await imageId(result.image),
    note: `${published}: ${pulled.reason}`,
    ...lb,
  };
}
