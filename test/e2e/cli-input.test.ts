import test from 'ava';
import { isolatedStateDir, runCli } from '../helpers/cluster.js';

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
  for (const command of ['run', 'validate', 'schema', 'up', 'down', 'status', 'binaries', 'smoke']) t.regex(result.stdout, new RegExp(`\\n  ${command} `));
  t.regex(result.stdout, /3 {2}infrastructure failure/);
});
