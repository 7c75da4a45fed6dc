import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { resolveBinaries } from '../../src/binaries/resolve.js';
import { kubernetesWrapperGoMod, localReplaces } from '../../src/binaries/gobuild.js';
import { withLock } from '../../src/binaries/lock.js';
import { defaultKubernetesVersion, oldestKubernetesVersion, parseKubernetesVersion, versionSet } from '../../src/binaries/versions.js';
import { featureGateHistory, listedGates } from '../../src/binaries/feature-gates.js';
import { UsageError } from '../../src/errors.js';

const versions = versionSet();

test('the resolved binaries report their real versions, not v0.0.0', async (t) => {
  const resolved = await resolveBinaries({ versions, names: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'], quiet: true });
  t.is(resolved['kube-apiserver']?.reportedVersion, `Kubernetes ${versions.kubernetes}`);
  t.is(resolved['kube-scheduler']?.reportedVersion, `Kubernetes ${versions.kubernetes}`);
  t.is(resolved.etcd?.reportedVersion, `etcd Version: ${versions.etcd.slice(1)}`);
  for (const binary of Object.values(resolved)) t.true(['cache', 'go-build', 'download', 'explicit'].includes(binary!.source));
});

test('an explicit path wins over the cache and is reported as explicit', async (t) => {
  const cached = await resolveBinaries({ versions, names: ['etcd'], quiet: true });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-explicit-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.copyFile(cached.etcd!.path, path.join(dir, 'etcd'));
  await fs.chmod(path.join(dir, 'etcd'), 0o755);

  const viaDir = await resolveBinaries({ versions, names: ['etcd'], binDir: dir, quiet: true });
  t.is(viaDir.etcd?.source, 'explicit');
  t.is(viaDir.etcd?.path, path.join(dir, 'etcd'));

  process.env.CPCHAOS_ETCD = path.join(dir, 'etcd');
  t.teardown(() => delete process.env.CPCHAOS_ETCD);
  const viaEnv = await resolveBinaries({ versions, names: ['etcd'], quiet: true });
  t.is(viaEnv.etcd?.source, 'explicit');
});

test('an explicit path that does not exist is an error, not a silent fallback', async (t) => {
  process.env.CPCHAOS_KUBE_APISERVER = '/nonexistent/kube-apiserver';
  t.teardown(() => delete process.env.CPCHAOS_KUBE_APISERVER);
  await t.throwsAsync(resolveBinaries({ versions, names: ['kube-apiserver'], quiet: true }), {
    instanceOf: UsageError,
    message: /CPCHAOS_KUBE_APISERVER names \/nonexistent\/kube-apiserver, which is not an executable file/,
  });
});

test('the wrapper go.mod points every local replace at the published staging version', (t) => {
  const upstream = [
    'module k8s.io/kubernetes',
    '',
    'go 1.24.0',
    '',
    'godebug default=go1.24',
    '',
    'replace (',
    '\tk8s.io/api => ./staging/src/k8s.io/api',
    '\tk8s.io/client-go => ./staging/src/k8s.io/client-go',
    ')',
    'replace k8s.io/kms => ./staging/src/k8s.io/kms',
    'replace github.com/x/y => github.com/x/y v1.0.0',
  ].join('\n');
  t.deepEqual(localReplaces(upstream), ['k8s.io/api', 'k8s.io/client-go', 'k8s.io/kms']);
  const wrapper = kubernetesWrapperGoMod(upstream, 'v1.33.13');
  t.regex(wrapper, /^require k8s\.io\/kubernetes v1\.33\.13$/m);
  t.regex(wrapper, /^godebug default=go1\.24$/m);
  t.regex(wrapper, /^\tk8s\.io\/api => k8s\.io\/api v0\.33\.13$/m);
  t.regex(wrapper, /^\tk8s\.io\/kms => k8s\.io\/kms v0\.33\.13$/m);
  t.notRegex(wrapper, /github\.com\/x\/y/);
});

test('the cache lock lets one holder work at a time', async (t) => {
  const target = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-lock-'));
  t.teardown(() => fs.rm(target, { recursive: true, force: true }));
  const timeline: string[] = [];
  const waited: string[] = [];
  const work = (id: string) => async () => {
    timeline.push(`${id} start`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    timeline.push(`${id} end`);
  };
  await Promise.all([withLock(target, work('a'), () => waited.push('a')), withLock(target, work('b'), () => waited.push('b'))]);
  // Either may win the race for the lock; the other waits, and their work never interleaves.
  t.is(waited.length, 1);
  const [loser] = waited;
  const winner = loser === 'a' ? 'b' : 'a';
  t.deepEqual(timeline, [`${winner} start`, `${winner} end`, `${loser} start`, `${loser} end`]);
});

/** `kube:Name=true|false (BETA - default=true)` lines of kube-apiserver --help. */
async function helpGates(apiserver: string): Promise<Map<string, { stage: string; defaultValue: boolean }>> {
  const { stdout } = await execa(apiserver, ['--help'], { reject: false });
  const gates = new Map<string, { stage: string; defaultValue: boolean }>();
  for (const match of stdout.matchAll(/kube:(\w+)=true\|false \((ALPHA|BETA) - default=(true|false)\)/g))
    gates.set(match[1]!, { stage: match[2]!.toLowerCase(), defaultValue: match[3] === 'true' });
  return gates;
}

for (const version of [defaultKubernetesVersion, oldestKubernetesVersion]) {
  test.serial(`the feature-gate table matches what kube-apiserver ${version} lists`, async (t) => {
    const resolved = await resolveBinaries({ versions: versionSet(version), names: ['kube-apiserver'], quiet: true });
    const listed = await helpGates(resolved['kube-apiserver']!.path);
    t.true(listed.size > 20, `parsed ${listed.size} gates from --help`);
    const minor = parseKubernetesVersion(version).minor;
    const expected = listedGates(minor);
    for (const name of Object.keys(featureGateHistory)) {
      const want = expected.get(name);
      t.deepEqual(listed.get(name), want ? { stage: want.stage, defaultValue: want.defaultValue } : undefined, `${name} in ${version}`);
    }
  });
}

test('cpchaos binaries --node 24 installs Node.js 24 from npm into the cache once, and a second call finds it there', async (t) => {
  const cli = path.resolve(import.meta.dirname, '..', '..', '..', 'bin', 'cpchaos.js');
  const first = await execa('node', [cli, 'binaries', '--node', '24']);
  const again = await execa('node', [cli, 'binaries', '--node', '24']);
  t.is(again.stdout, first.stdout);
  t.is(again.stderr, '', 'nothing installed the second time');
  t.regex((await execa(first.stdout, ['--version'])).stdout, /^v24\./);
  const bad = await execa('node', [cli, 'binaries', '--node', 'lts'], { reject: false });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /major release such as 24/);
});
