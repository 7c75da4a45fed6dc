import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { detectCgroupDriver } from '../../src/cluster/cgroup/detect.js';
import { cgroupV2Driver, MemoryCgroupV2 } from '../../src/cluster/cgroup/v2.js';
import { startProcess } from '../../src/cluster/process.js';

test("this machine's memory cgroup: limits shrink, grow and lift in the order the kernel accepts", async (t) => {
  const driver = await detectCgroupDriver();
  if (!driver) return t.pass('no memory cgroups here');
  const cgroup = await driver.create(`cgroup-test-${process.pid}/probe`);
  t.teardown(async () => {
    await cgroup.remove();
    await fs.rmdir(path.dirname(cgroup.path)).catch(() => undefined);
    await fs.rmdir(driver.parent).catch(() => undefined);
  });
  t.is(await cgroup.limit(), undefined);
  for (const limit of [450 * 1024 ** 2, 100 * 1024 ** 2, 1024 ** 3]) {
    await cgroup.setLimit(limit);
    t.is(await cgroup.limit(), limit);
  }
  await cgroup.setLimit(undefined);
  t.is(await cgroup.limit(), undefined);
});

test('a process started into a cgroup is in it from the start, and remove() kills it', async (t) => {
  const driver = await detectCgroupDriver();
  if (!driver) return t.pass('no memory cgroups here');
  const cgroup = await driver.create(`cgroup-test-${process.pid}/sleeper`);
  const log = path.join(os.tmpdir(), `cpchaos-sleeper-${process.pid}.log`);
  t.teardown(async () => {
    await fs.rm(log, { force: true });
    await fs.rmdir(path.dirname(cgroup.path)).catch(() => undefined);
    await fs.rmdir(driver.parent).catch(() => undefined);
  });
  const started = startProcess({ binary: '/bin/sleep', args: ['300'], logFile: log, cgroupProcsFile: cgroup.procsFile });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(await cgroup.pids(), [started.pid]);
  // startProcess unrefs its children (a runner must be able to exit); here the test waits for the exit,
  // so the child must hold the event loop open or ava may see nothing pending before SIGCHLD arrives.
  started.child.ref();
  await cgroup.remove();
  const exit = await started.exited;
  t.is(exit.signal, 'SIGKILL');
  await t.throwsAsync(fs.access(cgroup.path));
});

test('cgroup v2 file formats: limit, swap, OOM counter, controller delegation', async (t) => {
  // These machines run cgroup v1, so the v2 driver is checked on its files in a scratch folder.
  const mount = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-cgv2-'));
  t.teardown(() => fs.rm(mount, { recursive: true, force: true }));
  const driver = cgroupV2Driver(mount);
  const cgroup = await driver.create('cluster-a/apiserver');
  t.is(cgroup.path, path.join(mount, 'cpchaos', 'cluster-a', 'apiserver'));
  for (const ancestor of [mount, path.join(mount, 'cpchaos'), path.join(mount, 'cpchaos', 'cluster-a')]) {
    t.is(await fs.readFile(path.join(ancestor, 'cgroup.subtree_control'), 'utf8'), '+memory', ancestor);
  }
  const v2 = new MemoryCgroupV2(cgroup.path);
  await fs.writeFile(path.join(cgroup.path, 'memory.max'), 'max\n');
  t.is(await v2.limit(), undefined);
  await v2.setLimit(512 * 1024 ** 2);
  t.is(await fs.readFile(path.join(cgroup.path, 'memory.max'), 'utf8'), String(512 * 1024 ** 2));
  t.is(await fs.readFile(path.join(cgroup.path, 'memory.swap.max'), 'utf8'), '0');
  t.is(await v2.limit(), 512 * 1024 ** 2);
  await fs.writeFile(path.join(cgroup.path, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n');
  t.is(await v2.oomKills(), 2);
  await fs.writeFile(path.join(cgroup.path, 'memory.current'), '1048576\n');
  t.is(await v2.usage(), 1048576);
});
