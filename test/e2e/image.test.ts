import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { writeCpchaosImage } from '../../src/image/image.js';

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

test('the cpchaos image builds reproducibly: two builds of one checkout are the same bytes, so the same image id, with one entrypoint for run and agent', async (t) => {
  t.timeout(10 * 60_000);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-image-'));
  const log = createWriteStream(path.join(dir, 'build.log'));
  t.teardown(async () => {
    await new Promise((resolve) => log.end(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });
  const step = { progress: () => undefined, log };
  const archives = [path.join(dir, 'a', 'image.tar'), path.join(dir, 'b', 'image.tar')];
  for (const archive of archives) {
    await fs.mkdir(path.dirname(archive));
    await writeCpchaosImage('cpchaos.local/cpchaos:test', process.execPath, archive, step);
    // Apart in time, so a clock that leaked into the archive would show.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
  t.is(await sha256(archives[0]!), await sha256(archives[1]!));
  const listing = (await execa('tar', ['-xOf', archives[0]!, 'manifest.json'])).stdout;
  const [manifest] = JSON.parse(listing) as { Config: string }[];
  const config = JSON.parse((await execa('tar', ['-xOf', archives[0]!, manifest!.Config])).stdout) as { config: { Entrypoint: string[] } };
  t.deepEqual(config.config.Entrypoint, ['/usr/local/bin/node', '/app/bin/cpchaos.js']);
  const files = (await execa('bash', ['-c', 'tar -xOf "$1" layer.tar | tar -t', 'list', archives[0]!], { maxBuffer: 256 * 1024 * 1024 })).stdout;
  for (const wanted of ['./app/dist/src/cli.js', './app/dist/browser/browser/report.js', './app/bin/cpchaos.js', './usr/local/bin/node'])
    t.true(files.split('\n').includes(wanted), `${wanted} is in the image`);
});
