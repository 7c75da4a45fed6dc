/**
 * bench/kind-image: how long the offline kind node image takes to build, with the Go
 * binaries already cached. Default: a rebuild from the cached Debian base (what a new
 * Kubernetes patch version or a changed recipe costs); --base: the base too
 * (debootstrap from Debian's mirror). Removes the image tag before each run.
 * Run: npm run bench:kind-image [-- --runs 3] [-- --base]
 */
import './help.js';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { baseDir } from '../src/binaries/kind-image/base.js';
import { buildNodeImage, builtNodeImage } from '../src/binaries/kind-image/node-image.js';
import { defaultKubernetesVersion } from '../src/binaries/versions.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3);
const withBase = process.argv.includes('--base');
const logFile = path.join(os.tmpdir(), `cpchaos-bench-kind-image-${process.pid}.log`);
const log = createWriteStream(logFile);
const times: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    await execa('docker', ['rmi', '-f', builtNodeImage(defaultKubernetesVersion)], { reject: false });
    if (withBase) await fs.rm(baseDir(), { recursive: true, force: true });
    const started = Date.now();
    await buildNodeImage({ progress: () => undefined, log }, defaultKubernetesVersion);
    times.push((Date.now() - started) / 1000);
    console.log(`run ${i + 1}: ${times.at(-1)!.toFixed(1)} s${withBase ? ' (base included)' : ''}`);
  }
} finally {
  log.end();
  await fs.rm(logFile, { force: true });
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} s, min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)} over ${runs} runs`);
const size = await execa('docker', ['image', 'inspect', '--format', '{{.Size}}', builtNodeImage(defaultKubernetesVersion)]);
console.log(`image size ${(Number(size.stdout) / 2 ** 20).toFixed(0)} MiB`);
