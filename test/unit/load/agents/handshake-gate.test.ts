import test from 'ava';
import { HandshakeGate } from '../../../../src/load/agents/handshake-gate.js';

test('at most `limit` dials start; each one that ends lets the longest waiting start, in order', (t) => {
  const gate = new HandshakeGate(2);
  const started: number[] = [];
  for (const dial of [1, 2, 3, 4]) gate.admit(() => started.push(dial));
  t.deepEqual(started, [1, 2]);
  gate.ended();
  t.deepEqual(started, [1, 2, 3]);
  gate.admit(() => started.push(5));
  t.deepEqual(started, [1, 2, 3], 'the place that freed went to dial 3: two are in flight again');
  gate.ended();
  gate.ended();
  t.deepEqual(started, [1, 2, 3, 4, 5]);
  gate.ended();
  gate.admit(() => started.push(6));
  t.deepEqual(started, [1, 2, 3, 4, 5, 6], 'one in flight: a dial starts at once');
  gate.admit(() => started.push(7));
  t.deepEqual(started, [1, 2, 3, 4, 5, 6], 'two in flight: the next waits');
});
