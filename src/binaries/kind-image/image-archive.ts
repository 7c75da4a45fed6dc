import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../cache.js';
import { run, type Step } from './step.js';

/** One image of one layer, as `docker load` and `ctr images import` take it (the docker-archive format). */
export interface ImageSpec {
  ref: string;
  /** A folder laid out as the image's root file system. */
  root: string;
  entrypoint?: string[];
  env?: string[];
  labels?: Record<string, string>;
}

const goArch: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64' };

export function imageArch(): string {
  const arch = goArch[process.arch];
  if (!arch) throw new Error(`no kind node image can be built for ${process.arch}`);
  return arch;
}

/** Writes `spec` as a docker-archive tarball at `out`, reproducible inside and out (owner 0, mtime 0: the same input gives the same bytes). */
export async function writeImageArchive(step: Step, spec: ImageSpec, out: string): Promise<void> {
  const work = `${out}.d`;
  await fs.mkdir(work, { recursive: true });
  try {
    const layer = path.join(work, 'layer.tar');
    await run(step, 'tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', spec.root, '-cf', layer, '.']);
    const config = {
      architecture: imageArch(),
      os: 'linux',
      config: {
        Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        Labels: { 'io.cpchaos.built': 'offline', ...spec.labels },
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${await sha256File(layer)}`] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'cpchaos kind node image builder' }],
    };
    const configText = JSON.stringify(config);
    const configName = `${createHash('sha256').update(configText).digest('hex')}.json`;
    await fs.writeFile(path.join(work, configName), configText);
    await fs.writeFile(path.join(work, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [spec.ref], Layers: ['layer.tar'] }]));
    await run(step, 'tar', ['--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', work, '-cf', out, 'manifest.json', configName, 'layer.tar']);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
