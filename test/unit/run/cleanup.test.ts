import test from 'ava';
import { CleanupStack } from '../../../src/run/cleanup.js';

test('releases run last first; one that fails is reported and the rest still run', async (t) => {
  const stack = new CleanupStack();
  const order: string[] = [];
  stack.defer('cluster', () => void order.push('cluster'));
  stack.defer('client', () => {
    throw new Error('socket stuck');
  });
  stack.defer('recorder', async () => void order.push('recorder'));
  const errors: string[] = [];
  await stack.unwind((name, error) => errors.push(`${name}: ${(error as Error).message}`));
  t.deepEqual(order, ['recorder', 'cluster']);
  t.deepEqual(errors, ['client: socket stuck']);
  t.is(stack.size, 0, 'a second unwind releases nothing twice');
});
