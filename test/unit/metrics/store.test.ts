import test from 'ava';
import { SampleStore } from '../../../src/metrics/store.js';

test('peak: the largest value of the matching series over the whole run, undefined without samples', (t) => {
  const store = SampleStore.fromSamples([
    { t: 1, metric: 'm', labels: { component: 'apiserver' }, value: 5 },
    { t: 2, metric: 'm', labels: { component: 'apiserver' }, value: 9 },
    { t: 3, metric: 'm', labels: { component: 'etcd' }, value: 20 },
  ]);
  t.is(store.peak('m', { component: 'apiserver' }), 9);
  t.is(store.peak('m'), 20);
  t.is(store.peak('m', { component: 'scheduler' }), undefined);
  t.is(store.peak('other'), undefined);
});
