import test from 'ava';
import { Cancellation } from '../../../src/util/cancellation.js';

test('stop runs every registered hook once, not the unregistered ones, and later hooks at once', (t) => {
  const cancellation = new Cancellation();
  const ran: string[] = [];
  cancellation.onStop(() => ran.push('a'));
  const unhook = cancellation.onStop(() => ran.push('b'));
  unhook();
  cancellation.stop();
  cancellation.stop();
  t.deepEqual(ran, ['a']);
  t.true(cancellation.stopped);
  cancellation.onStop(() => ran.push('late'));
  t.deepEqual(ran, ['a', 'late']);
});

test('a sleep ends early when stopped, and a finished sleep leaves no hook behind', async (t) => {
  const cancellation = new Cancellation();
  await cancellation.sleep(5);
  let hooks = 0;
  cancellation.onStop(() => hooks++);
  const started = performance.now();
  const long = cancellation.sleep(60_000);
  setTimeout(() => cancellation.stop(), 20);
  await long;
  t.true(performance.now() - started < 5_000);
  t.is(hooks, 1, 'only the hook still registered ran: the finished sleep had removed its own');
});

test('ten thousand waiters come and go: none is left to run', (t) => {
  const cancellation = new Cancellation();
  const unhooks = Array.from({ length: 10_000 }, () => cancellation.onStop(() => undefined));
  for (const unhook of unhooks) unhook();
  let ran = 0;
  cancellation.onStop(() => ran++);
  cancellation.stop();
  t.is(ran, 1);
});
