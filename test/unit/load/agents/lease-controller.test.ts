import test from 'ava';
import type { AgentWrite } from '../../../../src/core/agent-model.js';
import { LeaseController } from '../../../../src/load/agents/lease-controller.js';
import { newLease } from '../../../../src/load/agents/lease-protobuf.js';
import { bytesField, envelope } from '../../../../src/load/agents/protobuf-write.js';
import type { WireRequest, WireResponse } from '../../../../src/load/agents/wire.js';
import { Cancellation } from '../../../../src/util/cancellation.js';

const write: Extract<AgentWrite, { kind: 'lease' }> = {
  kind: 'lease',
  namespace: 'kube-node-lease',
  name: 'n1',
  holder: 'n1',
  durationSeconds: 40,
  everyMs: 10_000,
  ownerNode: 'n1',
};
const owned = newLease({
  name: 'n1',
  namespace: 'kube-node-lease',
  labels: {},
  holder: 'n1',
  durationSeconds: 40,
  renewTime: new Date(),
  owner: { name: 'n1', uid: 'u-1' },
});
const unowned = newLease({ name: 'n1', namespace: 'kube-node-lease', labels: {}, holder: 'n1', durationSeconds: 40, renewTime: new Date() });
const node = envelope('v1', 'Node', bytesField(1, Buffer.concat([bytesField(1, 'n1'), bytesField(5, 'u-1')])));

/** What the apiserver answers each request of the lease controller, by what it is ("PUT leases"), in turn; and what was asked. */
function scripted(answers: Record<string, number[]>) {
  const asked: string[] = [];
  let closed = 0;
  const cancellation = new Cancellation();
  const controller = new LeaseController({
    write,
    cancellation,
    labels: {},
    onRepeatedFailure: () => closed++,
    send: (what: string, _request: WireRequest): Promise<WireResponse | undefined> => {
      asked.push(what);
      const status = answers[what]?.shift();
      if (status === undefined) throw new Error(`unexpected ${what} after ${asked.join(', ')}`);
      const body = what === 'GET nodes' ? node : what === 'GET leases' && status === 200 ? unowned : owned;
      return Promise.resolve({ status, body });
    },
  });
  return { controller, asked, closed: () => closed, cancellation };
}

test('a first sync reads the Lease, sets its owner from the Node, and renews it; the next renews what it wrote, without a GET', async (t) => {
  const { controller, asked, closed } = scripted({ 'GET leases': [200], 'GET nodes': [200], 'PUT leases': [200, 200] });
  await controller.sync();
  t.deepEqual(asked, ['GET leases', 'GET nodes', 'PUT leases']);
  await controller.sync();
  t.deepEqual(asked.slice(3), ['PUT leases'], 'the Lease written back has its owner: no Node GET');
  t.is(closed(), 0);
});

test('a missing Lease is created with its owner, and not renewed in the same sync', async (t) => {
  const { controller, asked } = scripted({ 'GET leases': [404], 'GET nodes': [200], 'POST leases': [201] });
  await controller.sync();
  t.deepEqual(asked, ['GET leases', 'GET nodes', 'POST leases']);
});

test('renewals refused: five PUTs, then a GET and five more, closing the connections after every failure past the first of each five', async (t) => {
  const { controller, asked, closed } = scripted({
    'GET leases': [200, 200],
    'GET nodes': [200, 200, 200, 200, 200, 200],
    'PUT leases': [200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
  });
  await controller.sync();
  asked.length = 0;
  await controller.sync();
  // The Lease read here has no owner, and each try renews a copy of it: each reads the Node again.
  t.deepEqual(asked, [...Array<string>(5).fill('PUT leases'), 'GET leases', ...Array.from({ length: 5 }, () => ['GET nodes', 'PUT leases']).flat()]);
  t.is(closed(), 8);
});

test('a conflict reads the Lease again and renews what it read', async (t) => {
  const { controller, asked, closed } = scripted({ 'GET leases': [200, 200], 'GET nodes': [200, 200], 'PUT leases': [200, 409, 200] });
  await controller.sync();
  asked.length = 0;
  await controller.sync();
  t.deepEqual(asked, ['PUT leases', 'GET leases', 'GET nodes', 'PUT leases'], 'the Lease read back has no owner here, so the Node is read again');
  t.is(closed(), 0, 'a conflict is not a failed heartbeat');
});

test('a Lease with no owner whose Node cannot be read is not renewed: five Node GETs, the connections closed four times', async (t) => {
  const { controller, asked, closed } = scripted({ 'GET leases': [200], 'GET nodes': [404, 404, 404, 404, 404] });
  await controller.sync();
  t.deepEqual(asked, ['GET leases', ...Array<string>(5).fill('GET nodes')]);
  t.is(closed(), 4);
});

test('a GET refused is tried again, 200 ms then doubling', async (t) => {
  const { controller, asked } = scripted({ 'GET leases': [429, 500, 200], 'GET nodes': [200], 'PUT leases': [200] });
  const started = performance.now();
  await controller.sync();
  t.deepEqual(asked, ['GET leases', 'GET leases', 'GET leases', 'GET nodes', 'PUT leases']);
  t.true(performance.now() - started >= 590, 'waited 200 and 400 ms');
});
