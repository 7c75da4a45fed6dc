import test from 'ava';
import { HandshakeGate } from '../../../../src/load/agents/handshake-gate.js';

test('at most `limit` dials start; each one that ends lets the longest waiting start, in order', (t) => {
  const gate = new HandshakeGate(2);
  const started: number[] = [];
  const dial = (n: number) => () => started.push(n) > 0;
  for (const n of [1, 2, 3, 4]) gate.admit(dial(n));
  t.deepEqual(started, [1, 2]);
  gate.ended();
  t.deepEqual(started, [1, 2, 3]);
  gate.admit(dial(5));
  t.deepEqual(started, [1, 2, 3], 'the place that freed went to dial 3: two are in flight again');
  gate.ended();
  gate.ended();
  t.deepEqual(started, [1, 2, 3, 4, 5]);
  gate.ended();
  gate.admit(dial(6));
  t.deepEqual(started, [1, 2, 3, 4, 5, 6], 'one in flight: a dial starts at once');
  gate.admit(dial(7));
  t.deepEqual(started, [1, 2, 3, 4, 5, 6], 'two in flight: the next waits');
});

test('dials no longer wanted give their place on, however many wait: a fleet stopping gives up thousands at once', (t) => {
  const gate = new HandshakeGate(1);
  let started = 0;
  gate.admit(() => ++started > 0);
  let givenUp = 0;
  for (let i = 0; i < 200_000; i++) gate.admit(() => (givenUp++, false));
  gate.admit(() => ++started > 0);
  t.notThrows(() => gate.ended());
  t.is(givenUp, 200_000);
  t.is(started, 2, 'the place went past every dial given up to the one still wanted');
  gate.ended();
  gate.admit(() => (givenUp++, false));
  t.is(givenUp, 200_001, 'a dial given up at once frees its place');
  gate.admit(() => ++started > 0);
  t.is(started, 3);
});
