import test from 'ava';
import { upstreamOf } from '../../../src/load/proxy.js';

test('the proxy dials the default port of an apiserver URL that leaves it out, as an in-cluster one does', (t) => {
  t.deepEqual(upstreamOf('https://10.96.0.1:443'), { host: '10.96.0.1', port: 443 });
  t.deepEqual(upstreamOf('https://kubernetes.default.svc'), { host: 'kubernetes.default.svc', port: 443 });
  t.deepEqual(upstreamOf('https://127.0.0.1:6443'), { host: '127.0.0.1', port: 6443 });
  t.deepEqual(upstreamOf('http://127.0.0.1'), { host: '127.0.0.1', port: 80 });
});

test('an IPv6 apiserver is dialled without the brackets of its URL', (t) => {
  t.deepEqual(upstreamOf('https://[fd00:10:96::1]:443'), { host: 'fd00:10:96::1', port: 443 });
});
