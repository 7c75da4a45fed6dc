import test from 'ava';
import { featureGateHistory, featureGateProblem, gateAt, listedGates } from '../../../src/binaries/feature-gates.js';
import { defaultKubernetesVersion, etcdForMinor, oldestKubernetesVersion, parseKubernetesVersion } from '../../../src/binaries/versions.js';

test('a gate removed in a version is refused there, naming the version and when it went', (t) => {
  t.is(featureGateProblem('ConsistentListFromCache', false, 'v1.33.13'), undefined);
  t.regex(
    featureGateProblem('ConsistentListFromCache', false, 'v1.37.2')!,
    /^Kubernetes v1\.37\.2 no longer accepts feature gate ConsistentListFromCache \(GA and locked to true in 1\.34, removed in 1\.37\)/,
  );
  t.regex(featureGateProblem('ConsistentListFromCache', true, 'v1.37.2')!, /no longer accepts/, 'removed means any value');
});

test('a locked gate takes its locked value only', (t) => {
  t.is(featureGateProblem('ConsistentListFromCache', true, 'v1.34.2'), undefined);
  t.is(
    featureGateProblem('ConsistentListFromCache', false, 'v1.34.2'),
    'Kubernetes v1.34.2 locks feature gate ConsistentListFromCache to true (GA since 1.34); it refuses ConsistentListFromCache=false',
  );
  t.regex(featureGateProblem('SeparateCacheWatchRPC', true, 'v1.36.3')!, /locks feature gate SeparateCacheWatchRPC to false \(deprecated since 1\.36\)/);
  t.is(featureGateProblem('SeparateCacheWatchRPC', true, 'v1.35.4'), undefined, 'deprecated but not yet locked');
});

test('a gate newer than the version is refused, and gates the table does not know pass', (t) => {
  t.is(
    featureGateProblem('SizeBasedListCostEstimate', true, 'v1.31.14'),
    'Kubernetes v1.31.14 does not have feature gate SizeBasedListCostEstimate yet (it arrives in 1.34)',
  );
  t.is(featureGateProblem('SomeGateWeDoNotTrack', true, 'v1.31.14'), undefined);
});

test('a minor newer than the table keeps the newest entry', (t) => {
  t.deepEqual(gateAt('WatchList', 40), { stage: 'beta', defaultValue: true, locked: false });
  t.is(gateAt('ConsistentListFromCache', 40), 'removed');
});

test('WatchList went beta-on in 1.32, back off in 1.33 and on again in 1.34', (t) => {
  t.deepEqual(
    [31, 32, 33, 34].map((minor) => (gateAt('WatchList', minor) as { defaultValue: boolean }).defaultValue),
    [false, true, false, true],
  );
  t.false(listedGates(37).has('ConsistentListFromCache'));
  t.true(listedGates(33).has('ConsistentListFromCache'));
});

test('the table is ordered by minor and every version between the oldest and the default has its etcd', (t) => {
  for (const [name, history] of Object.entries(featureGateHistory)) {
    const minors = history.map(([minor]) => minor);
    t.deepEqual(
      minors,
      [...minors].sort((a, b) => a - b),
      name,
    );
  }
  const oldest = parseKubernetesVersion(oldestKubernetesVersion).minor;
  const newest = parseKubernetesVersion(defaultKubernetesVersion).minor;
  for (let minor = oldest; minor <= newest; minor++) t.regex(etcdForMinor[minor] ?? '', /^v3\.\d+\.\d+$/, `etcd for 1.${minor}`);
  t.is(Math.max(...Object.keys(etcdForMinor).map(Number)), newest, 'the default is the newest minor the table knows');
});
