import fs from 'node:fs/promises';
import test from 'ava';
import { isolatedStateDir, runCli } from '../helpers/cluster.js';

let stateDir: string;
test.before(async () => {
  stateDir = await isolatedStateDir();
});

test.serial('cpchaos up prints a kubeconfig path; status shows the limit; down removes it', async (t) => {
  const up = await runCli(['up', '--name', 'clitest', '--memory-limit', 'apiserver=1Gi', '--unsafe-no-fsync']);
  t.is(up.exitCode, 0, up.all);
  const kubeconfig = up.stdout.trim();
  t.is(kubeconfig, `${stateDir}/clusters/clitest/kubeconfig`);
  t.regex(await fs.readFile(kubeconfig, 'utf8'), /server: https:\/\/127\.0\.0\.1:\d+/);

  const status = await runCli(['status']);
  t.is(status.exitCode, 0);
  t.regex(status.stdout, /^clitest: ready, https:\/\/127\.0\.0\.1:\d+/m);
  t.regex(status.stdout, /^ {2}apiserver +pid \d+ +running memory [\d.]+ MiB of 1\.0 GiB, OOM kills 0$/m);
  t.regex(status.stdout, /^ {2}etcd +pid \d+ +running memory [\d.]+ MiB, OOM kills 0$/m);

  const again = await runCli(['up', '--name', 'clitest']);
  t.is(again.exitCode, 2);
  t.is(again.stderr.trim().split('\n').pop(), 'cpchaos: cluster "clitest" is already running; stop it with: cpchaos down --name clitest');

  const down = await runCli(['down', '--name', 'clitest']);
  t.is(down.exitCode, 0, down.all);
  t.is((await runCli(['status'])).stdout.trim(), 'no clusters');
});

test.serial('cpchaos smoke runs a create/list/delete round trip and cleans up', async (t) => {
  const smoke = await runCli(['smoke', '--objects', '20']);
  t.is(smoke.exitCode, 0, smoke.all);
  t.regex(smoke.stdout, /^created 20 configmaps: \d+ms$/m);
  t.regex(smoke.stdout, /^listed 20 configmaps: \d+ms$/m);
  t.deepEqual(await fs.readdir(`${stateDir}/clusters`), []);
});
