import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { etcdForMinor, oldestKubernetesVersion, parseKubernetesVersion } from '../../src/binaries/versions.js';
import { isolatedStateDir, repoRoot, runExperimentText } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

test(`the quickstart passes on the oldest supported minor (${oldestKubernetesVersion}) with the etcd it is released with`, async (t) => {
  t.timeout(5 * 60_000);
  const quickstart = await fs.readFile(path.join(repoRoot, 'experiments', 'quickstart.yaml'), 'utf8');
  const text = quickstart.replace(/^cluster:\n/m, `cluster:\n  kubernetesVersion: ${oldestKubernetesVersion}\n`);
  t.not(text, quickstart);
  const { result, dir, summary } = await runExperimentText('oldest', text);
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  t.is(result.exitCode, 0, result.all);
  t.deepEqual(
    summary.verdicts.map((v) => [v.name, v.status]),
    summary.verdicts.map((v) => [v.name, 'held']),
  );
  const reported = Object.fromEntries(summary.binaries.map((b) => [b.name, b.reportedVersion]));
  t.is(reported['kube-apiserver'], `Kubernetes ${oldestKubernetesVersion}`);
  t.is(reported.etcd, `etcd Version: ${etcdForMinor[parseKubernetesVersion(oldestKubernetesVersion).minor]!.slice(1)}`);
  t.is(summary.cluster?.kubernetesVersion, oldestKubernetesVersion);
});
