import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../paths.js';
import { imageLabel, imagePresent, tryPull } from '../../util/docker.js';
import { withLock } from '../lock.js';
import { ensureBaseRootfs } from './base.js';
import { writeImageArchive } from './image-archive.js';
import { copyWithLibraries } from './rootfs-subset.js';
import { standinBinary } from './standins.js';
import { run, type Step } from './step.js';

/** The load balancer kind v0.33 runs in front of three control planes (sigs.k8s.io/kind pkg/cluster/internal/loadbalancer). */
export const kindLoadBalancerImage = 'docker.io/envoyproxy/envoy:v1.36.2';
const standinLabel = 'io.cpchaos.standin';

/** What kind runs in that container besides envoy: `bash -c` to write its config, then `cp`, `chmod`, `mv`, `sh -c`. */
const shellTools = ['/bin/bash', '/bin/sh', '/bin/mkdir', '/bin/cp', '/bin/chmod', '/bin/mv', '/bin/sleep', '/bin/cat', '/bin/rm'];

async function buildStandin(step: Step): Promise<void> {
  const work = await fs.mkdtemp(path.join(cacheDir(), 'kind-image', 'work-lb-'));
  try {
    const root = path.join(work, 'root');
    await copyWithLibraries(step, await ensureBaseRootfs(step), shellTools, root);
    await fs.mkdir(path.join(root, 'usr', 'local', 'bin'), { recursive: true });
    await fs.copyFile(await standinBinary(step, 'loadbalancer'), path.join(root, 'usr', 'local', 'bin', 'envoy'));
    await fs.chmod(path.join(root, 'usr', 'local', 'bin', 'envoy'), 0o755);
    await fs.mkdir(path.join(root, 'home', 'envoy'), { recursive: true });
    const archive = path.join(work, 'lb.tar');
    await writeImageArchive(
      step,
      {
        ref: kindLoadBalancerImage,
        root,
        labels: { [standinLabel]: 'TCP round-robin stand-in for envoy, built by cpchaos because the image could not be pulled' },
      },
      archive,
    );
    await run(step, 'docker', ['load', '-i', archive]);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * kind's load-balancer image for HA clusters: envoy itself when it is here or can be
 * pulled; otherwise our stand-in under kind's image name (kind names no other), with a
 * label that says what it is.
 */
export async function ensureLoadBalancerImage(step: Step): Promise<'present' | 'pulled' | 'stand-in'> {
  const present = await imagePresent(kindLoadBalancerImage);
  if (present && !(await imageLabel(kindLoadBalancerImage, standinLabel))) return 'present';
  if ((await tryPull(kindLoadBalancerImage, step.signal)).ok) return 'pulled';
  if (present) return 'stand-in';
  await withLock(path.join(cacheDir(), 'kind-image', 'loadbalancer'), async () => {
    if (!(await imagePresent(kindLoadBalancerImage))) await buildStandin(step);
  });
  return 'stand-in';
}
