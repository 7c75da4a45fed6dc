import test from 'ava';
import { kubernetesWrapperGoMod, stagingVersionFor } from '../../../src/binaries/gobuild.js';

test('a staging module the proxy serves at the release version is taken at that version', (t) => {
  t.is(stagingVersionFor('v0.31.14', ['v0.31.0', 'v0.31.14', 'v0.32.0']), 'v0.31.14');
  t.is(stagingVersionFor('v0.31.14', undefined), 'v0.31.14', 'nothing known: the release version');
});

test('where the proxy lacks it, the nearest patch of the same minor: highest below, else lowest above', (t) => {
  t.is(stagingVersionFor('v0.31.14', ['v0.31.8', 'v0.31.13', 'v0.32.8']), 'v0.31.13');
  t.is(stagingVersionFor('v0.31.0', ['v0.31.8', 'v0.31.9', 'v0.32.8']), 'v0.31.8');
  t.is(stagingVersionFor('v0.31.14', ['v0.32.8']), 'v0.31.14', 'no patch of the minor: the release version, and the build says what is missing');
});

test('the wrapper replaces each local module at the version chosen for it', (t) => {
  const upstream =
    'module k8s.io/kubernetes\n\ngo 1.22.0\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/kube-scheduler => ./staging/src/k8s.io/kube-scheduler\n)\n';
  const wrapper = kubernetesWrapperGoMod(upstream, 'v1.31.14', new Map([['k8s.io/kube-scheduler', ['v0.31.13']]]));
  t.regex(wrapper, /\tk8s\.io\/api => k8s\.io\/api v0\.31\.14\n/);
  t.regex(wrapper, /\tk8s\.io\/kube-scheduler => k8s\.io\/kube-scheduler v0\.31\.13\n/);
  t.regex(wrapper, /^go 1\.22\.0$/m);
});
