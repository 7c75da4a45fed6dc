import test from 'ava';
import { recoveredAt } from '../../../../src/run/phases/recover.js';

const ready = (t: number, value: 0 | 1) => ({ t, metric: 'cpchaos_apiserver_ready', labels: {}, value });

test('found down by the poll: ready when the poll saw it', (t) => {
  t.is(recoveredAt([ready(1000, 0)], 900, 2500, true), 2500);
});

test('up when polled and never seen down: ready at the end of the faults', (t) => {
  t.is(recoveredAt([ready(1000, 1), ready(1100, 1)], 900, 1200, false), 900);
});

test('up when polled but seen down since: the first ready sample after the last unready one', (t) => {
  t.is(recoveredAt([ready(1000, 0), ready(1100, 1), ready(1200, 0), ready(1300, 1)], 900, 1350, false), 1300);
});

test('seen down and no ready sample after it yet: the poll time', (t) => {
  t.is(recoveredAt([ready(1000, 1), ready(1100, 0)], 900, 1150, false), 1150);
});
