import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { formatBytes, parseBytes, parseDuration } from '../../src/units.js';

test('sizes take Kubernetes units', (t) => {
  t.is(parseBytes('512Mi'), 512 * 1024 ** 2);
  t.is(parseBytes('2Gi'), 2 * 1024 ** 3);
  t.is(parseBytes('1.5Gi'), 1.5 * 1024 ** 3);
  t.is(parseBytes('1G'), 1e9);
  t.is(parseBytes('4096'), 4096);
});

test('ambiguous or malformed sizes are refused', (t) => {
  for (const bad of ['2GB', '2 gigs', '-1Gi', 'Gi', '']) {
    const error = t.throws(() => parseBytes(bad), { instanceOf: UsageError });
    t.regex(error.message, /invalid size/);
  }
});

test('durations take units and compounds', (t) => {
  t.is(parseDuration('250ms'), 250);
  t.is(parseDuration('30s'), 30_000);
  t.is(parseDuration('5m'), 300_000);
  t.is(parseDuration('1m30s'), 90_000);
  t.is(parseDuration('1h'), 3_600_000);
});

test('malformed durations are refused', (t) => {
  for (const bad of ['30', '5 minutes', 's', '1m30', 'x1s']) {
    t.throws(() => parseDuration(bad), { instanceOf: UsageError });
  }
});

test('sizes print with one decimal, or with the significant digits asked for', (t) => {
  t.is(formatBytes(1.43 * 1024 ** 3), '1.4 GiB');
  t.is(formatBytes(1.43 * 1024 ** 3, 3), '1.43 GiB');
  t.is(formatBytes(-197 * 1024, 3), '-197 KiB');
  t.is(formatBytes(512), '512 B');
});
