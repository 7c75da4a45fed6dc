import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { cliPath, isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

const cases: [string, string[], RegExp][] = [
  ['unknown flag', ['up', '--bogus'], /^cpchaos: unknown option '--bogus' \(see --help\)$/],
  ['unknown command', ['explode'], /^cpchaos: unknown command 'explode' \(see --help\)$/],
  [
    'unknown component',
    ['up', '--components', 'kubelet'],
    /^cpchaos: unknown component "kubelet": expected any of etcd, apiserver, controller-manager, scheduler$/,
  ],
  ['malformed size', ['up', '--memory-limit', 'apiserver=2GB'], /^cpchaos: invalid size "2GB": expected a number/],
  ['memory limit without size', ['up', '--memory-limit', 'apiserver'], /^cpchaos: invalid memory limit "apiserver": expected component=size/],
  ['bad feature gate', ['up', '--feature-gates', 'WatchList=yes'], /^cpchaos: invalid feature gate "WatchList=yes"/],
  ['bad apiserver arg', ['up', '--apiserver-arg', 'novalue'], /^cpchaos: invalid argument "novalue": expected flag=value/],
  ['bad version', ['up', '--kubernetes-version', '1.33'], /^cpchaos: invalid Kubernetes version "1.33"/],
  ['bad cluster name', ['up', '--name', 'Not_Valid'], /^cpchaos: invalid cluster name "Not_Valid"/],
  ['down without target', ['down'], /^cpchaos: name a cluster with --name N, or use --all$/],
  ['down of unknown cluster', ['down', '--name', 'nope'], /^cpchaos: no cluster named "nope"/],
  ['one run id for two experiments', ['run', 'a.yaml', 'b.yaml', '--run-id', 'x'], /^cpchaos: --run-id names one run folder; give one experiment with it$/],
  ['in-cluster without its context', ['run', 'a.yaml', '--in-cluster'], /^cpchaos: --in-cluster needs --target-existing <context>/],
  ['schedule without --cron', ['schedule', 'a.yaml', '--image', 'x'], /^cpchaos: required option '--cron <expression>' not specified \(see --help\)$/],
];

for (const [title, args, expected] of cases) {
  test(`bad input: ${title} -> exit 2 and one line`, async (t) => {
    const result = await runCli(args);
    t.is(result.exitCode, 2, result.all);
    const lines = result.stderr.trim().split('\n');
    t.is(lines.length, 1, result.stderr);
    t.regex(lines[0]!, expected);
    t.notRegex(result.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('--help lists the commands and the exit codes', async (t) => {
  const result = await runCli(['--help']);
  t.is(result.exitCode, 0);
  for (const command of ['run', 'validate', 'schema', 'schedule', 'image', 'up', 'down', 'status', 'binaries', 'smoke'])
    t.regex(result.stdout, new RegExp(`\\n  ${command} `));
  t.regex(result.stdout, /3 {2}infrastructure failure/);
});

test('several experiments are all checked before the first runs: a bad second one stops the run with its file:line and nothing written', async (t) => {
  const { dir, file: good } = await writeExperiment(
    'many-good',
    'apiVersion: cpchaos.io/v1alpha1\nkind: Experiment\nmetadata: { name: good }\nhypotheses:\n  - { name: up, metric: cpchaos_apiserver_ready, aggregate: last, comparator: ">=", threshold: 0 }\n',
  );
  const bad = path.join(dir, 'bad.yaml');
  await fs.writeFile(
    bad,
    'apiVersion: cpchaos.io/v1alpha1\nkind: Experiment\nmetadata: { name: bad }\nfaults:\n  - type: no-such-fault\nhypotheses:\n  - { name: up, metric: cpchaos_apiserver_ready, aggregate: last, comparator: ">=", threshold: 0 }\n',
  );
  const result = await runCli(['run', good, bad, '--results', path.join(dir, 'results')]);
  t.is(result.exitCode, 2, result.all);
  t.regex(result.stderr, new RegExp(`^${bad}:5:\\d+: faults\\[0\\]`));
  t.false(
    await fs.stat(path.join(dir, 'results')).then(
      () => true,
      () => false,
    ),
    'the first experiment did not run',
  );
});

test('--help | head: a reader that stops early is no error', async (t) => {
  const result = await execa('bash', ['-c', `node ${cliPath} run --help | head -1; echo "exit \${PIPESTATUS[0]}"`], { all: true });
  t.regex(result.stdout, /exit 0$/);
  t.notRegex(result.all, /EPIPE/);
});
