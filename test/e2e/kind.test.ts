import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import yaml from 'js-yaml';
import {
  etcdMetricsContainerPort,
  kindConfig,
  kindConfigDir,
  patchesContainerPath,
  staticPodPatches,
  type KindConfigOptions,
} from '../../src/cluster/kind-config.js';
import { defaultKubernetesVersion, oldestKubernetesVersion } from '../../src/binaries/versions.js';
import { cliPath, isolatedStateDir, repoRoot, runCli, writeExperiment } from '../helpers/cluster.js';

/** kind/validate: kind's own v1alpha4 types, decoded strictly (built from the Go module proxy). */
async function kindValidator(): Promise<string | undefined> {
  const out = path.join(os.tmpdir(), `cpchaos-kind-validate-${process.pid}`);
  const built = await execa('go', ['build', '-o', out, '.'], { cwd: path.join(repoRoot, 'kind', 'validate'), reject: false }).catch(() => undefined);
  return built?.exitCode === 0 ? out : undefined;
}

// Decided before any test is declared: ava wants the declarations synchronous.
const validator = await kindValidator();
const validatorTest = validator ? test : test.skip;
const validatorNote = validator ? '' : ' (skipped: go could not build kind/validate: no go, or no Go module proxy)';

test.before(async () => {
  await isolatedStateDir();
});

async function generated(name: string, controlPlanes: 1 | 3, extra: Partial<KindConfigOptions> = {}): Promise<{ file: string; text: string }> {
  const text = await kindConfig({
    name,
    controlPlanes,
    kubernetesVersion: defaultKubernetesVersion,
    ...extra,
    apiserverArgs: { 'max-requests-inflight': '123', 'max-mutating-requests-inflight': '45' },
    featureGates: { WatchList: false },
    etcdMetricsHostPort: 32381,
  });
  const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-kind-')), `${name}.yaml`);
  await fs.writeFile(file, text);
  return { file, text };
}

validatorTest(`the configs in kind/ and the generated ones pass kind's config schema; a misspelt field does not${validatorNote}`, async (t) => {
  const single = await generated('cpchaos-single', 1);
  const ha = await generated('cpchaos-ha', 3, { patchesDir: '/var/lib/cpchaos/patches', kubernetesVersion: 'v1.35.1' });
  const base = [path.join(kindConfigDir, 'single.yaml'), path.join(kindConfigDir, 'ha.yaml')];
  const result = await execa(validator!, [...base, single.file, ha.file], { reject: false });
  t.is(result.exitCode, 0, result.stdout);
  t.is(result.stdout.split('\n').filter((l) => l.endsWith(': ok')).length, 4);

  const typo = single.file.replace('.yaml', '-typo.yaml');
  await fs.writeFile(typo, single.text.replace('extraPortMappings', 'extraPortMapings'));
  const refused = await execa(validator!, [typo], { reject: false });
  t.is(refused.exitCode, 1);
  t.regex(refused.stdout, /unknown field "extraPortMapings"/);
});

test('the generated config carries the apiserver flags, feature gates and etcd metrics port; HA has three control planes', async (t) => {
  const single = yaml.load((await generated('cpchaos-x', 1)).text) as Record<string, unknown> & {
    nodes: { role: string; extraPortMappings?: unknown[] }[];
    kubeadmConfigPatches: string[];
  };
  t.is(single.name, 'cpchaos-x');
  t.deepEqual(single.featureGates, { WatchList: false });
  t.deepEqual(single.nodes[0]!.extraPortMappings, [{ containerPort: etcdMetricsContainerPort, hostPort: 32381, listenAddress: '127.0.0.1', protocol: 'TCP' }]);
  const patch = single.kubeadmConfigPatches
    .map((p) => yaml.load(p) as Record<string, Record<string, Record<string, unknown>>>)
    .find((p) => (p.kind as unknown) === 'ClusterConfiguration')!;
  t.truthy(patch, 'a ClusterConfiguration patch');
  t.deepEqual(patch.apiServer!.extraArgs, { 'max-requests-inflight': '123', 'max-mutating-requests-inflight': '45' });
  t.deepEqual((patch.etcd!.local as Record<string, unknown>).extraArgs, { 'listen-metrics-urls': `http://0.0.0.0:${etcdMetricsContainerPort}` });
  const ha = yaml.load((await generated('cpchaos-y', 3)).text) as { nodes: { role: string; extraPortMappings?: unknown[] }[] };
  t.deepEqual(
    ha.nodes.map((n) => n.role),
    ['control-plane', 'control-plane', 'control-plane'],
  );
  t.is(ha.nodes.filter((n) => n.extraPortMappings).length, 1, 'etcd metrics from the first control plane');
});

const kindExperiment = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: kind-smoke
cluster:
  provider: kind
  apiserverArgs: { max-requests-inflight: "200" }
seed:
  - kind: configmaps
    count: 50
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 3s
  - type: kill-process
    at: 4s
    component: apiserver
observe: 30s
recovery:
  timeout: 120s
hypotheses:
  - name: apiserver back within 120s
    builtin: ready-within
    within: 120s
  - name: configmaps intact
    builtin: objects-intact
`;

test('kind-only faults are refused on the local provider at validation', async (t) => {
  const { file } = await writeExperiment(
    'kind-only-on-local',
    kindExperiment
      .replace('  provider: kind\n', '')
      .replace('  - type: kill-process', '  - type: pause-node\n    duration: 5s\n  - type: restart-load-balancer\n  - type: kill-process'),
  );
  const result = await runCli(['validate', file]);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /faults\[1\].type: pause-node runs on the kind provider only, not local/);
  t.regex(result.stderr, /faults\[2\].type: restart-load-balancer runs on the kind provider only, not local/);
});

test('without Docker the kind provider stops with exit 3 and says what to install', async (t) => {
  const { dir, file } = await writeExperiment('kind-no-docker', kindExperiment);
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-empty-path-'));
  const result = await execa(process.execPath, [cliPath, 'run', file, '--results', dir, '--run-id', 'r'], {
    env: { ...process.env, PATH: empty },
    reject: false,
    all: true,
  });
  t.is(result.exitCode, 3, result.all);
  t.regex(String(result.stdout), /error: kind-smoke - the kind provider needs Docker: install it \(Debian: apt-get install docker\.io\) and start the daemon/);
  t.false(String(result.all).includes('    at '), 'no stack trace');
});

test('memory limits become kubeadm patches of the static pods, mounted into every control plane; 1.35+ keeps cgroup v1 working', async (t) => {
  const files = staticPodPatches({ apiserver: 512 * 1024 * 1024, etcd: 1024 * 1024 * 1024 });
  t.deepEqual(Object.keys(files).sort(), ['etcd+strategic.yaml', 'kube-apiserver+strategic.yaml']);
  t.deepEqual(yaml.load(files['kube-apiserver+strategic.yaml']!), {
    spec: { containers: [{ name: 'kube-apiserver', resources: { limits: { memory: '536870912' } } }] },
  });
  const config = yaml.load((await generated('cpchaos-z', 3, { patchesDir: '/state/patches', kubernetesVersion: 'v1.35.1' })).text) as {
    nodes: { extraMounts?: unknown[] }[];
    kubeadmConfigPatches: string[];
  };
  t.true(
    config.nodes.every(
      (n) => JSON.stringify(n.extraMounts) === JSON.stringify([{ hostPath: '/state/patches', containerPath: patchesContainerPath, readOnly: true }]),
    ),
  );
  const patches = config.kubeadmConfigPatches.map((p) => yaml.load(p) as Record<string, unknown>);
  t.deepEqual(
    patches.filter((p) => p.patches).map((p) => p.kind),
    ['InitConfiguration', 'JoinConfiguration'],
  );
  t.true(patches.some((p) => p.kind === 'KubeletConfiguration' && p.failCgroupV1 === false));
  const old = yaml.load((await generated('cpchaos-w', 1, { kubernetesVersion: oldestKubernetesVersion })).text) as {
    nodes: { extraMounts?: unknown[] }[];
    kubeadmConfigPatches: string[];
  };
  t.is(old.nodes[0]!.extraMounts, undefined, 'no limits: no mount');
  t.false(
    old.kubeadmConfigPatches.some((p) => p.includes('failCgroupV1')),
    '1.31 needs no cgroup v1 opt-in',
  );
});
