import test from 'ava';
import { leaseHasOwner, newLease, renewedLease, uidOf } from '../../../../src/load/agents/lease-protobuf.js';
import { bytesField, envelope, fieldValue, fieldsOf, unwrapEnvelope, varintField, withField } from '../../../../src/load/agents/protobuf-write.js';

const text = (b: Buffer | undefined) => b?.toString('utf8');
/** A varint field's value, read back. */
const number = (message: Buffer, field: number) => {
  const raw = fieldsOf(message).find((f) => f.field === field)?.value;
  return raw ? raw.reduceRight((n, byte) => n * 128 + (byte & 0x7f), 0) : undefined;
};
const spec = (body: Buffer) => fieldValue(unwrapEnvelope(body)!, 2)!;
const metadata = (body: Buffer) => fieldValue(unwrapEnvelope(body)!, 1)!;

test('a new Lease: its envelope, name, namespace, labels, holder, duration and renewTime', (t) => {
  const at = new Date('2026-12-04T20:00:01.250Z');
  const body = newLease({ name: 'n-1', namespace: 'kube-node-lease', labels: { run: 'r' }, holder: 'n-1', durationSeconds: 40, renewTime: at });
  t.is(body.subarray(0, 4).toString('latin1'), 'k8s\0');
  const typeMeta = fieldValue(body.subarray(4), 1)!;
  t.deepEqual([text(fieldValue(typeMeta, 1)), text(fieldValue(typeMeta, 2))], ['coordination.k8s.io/v1', 'Lease']);
  const meta = metadata(body);
  t.deepEqual([text(fieldValue(meta, 1)), text(fieldValue(meta, 3))], ['n-1', 'kube-node-lease']);
  const label = fieldValue(meta, 11)!;
  t.deepEqual([text(fieldValue(label, 1)), text(fieldValue(label, 2))], ['run', 'r']);
  t.false(leaseHasOwner(body));
  t.is(text(fieldValue(spec(body), 1)), 'n-1');
  t.is(number(spec(body), 2), 40);
  const renew = fieldValue(spec(body), 4)!;
  t.is(number(renew, 1), Math.floor(at.getTime() / 1000));
  t.is(number(renew, 2), 250_000_000);
});

test("a renewal keeps every byte of the Lease read back but its spec's renewTime, and sets an owner once", (t) => {
  const meta = Buffer.concat([bytesField(1, 'n-1'), bytesField(3, 'kube-node-lease'), bytesField(6, '4711'), bytesField(17, Buffer.from('managed'))]);
  const oldSpec = Buffer.concat([
    bytesField(1, 'n-1'),
    varintField(2, 40),
    bytesField(3, varintField(1, 5)),
    bytesField(4, varintField(1, 10)),
    varintField(5, 2),
  ]);
  const read = envelope('coordination.k8s.io/v1', 'Lease', Buffer.concat([bytesField(1, meta), bytesField(2, oldSpec)]));
  const at = new Date('2026-12-04T20:00:02Z');
  const renewed = renewedLease(read, { holder: 'n-1', durationSeconds: 40, renewTime: at, owner: { name: 'n-1', uid: 'u-1' } });
  const renewedMeta = metadata(renewed);
  t.true(renewedMeta.subarray(0, meta.length).equals(meta), 'metadata kept as it came (resourceVersion, managedFields)');
  t.true(leaseHasOwner(renewed));
  const owner = fieldValue(renewedMeta, 13)!;
  t.deepEqual(
    [1, 3, 4, 5].map((f) => text(fieldValue(owner, f))),
    ['Node', 'n-1', 'u-1', 'v1'],
  );
  t.is(number(fieldValue(spec(renewed), 4)!, 1), at.getTime() / 1000);
  t.is(number(fieldValue(spec(renewed), 3)!, 1), 5, 'acquireTime kept');
  t.is(number(spec(renewed), 5), 2, 'leaseTransitions kept');
  const again = renewedLease(renewed, { holder: 'n-1', durationSeconds: 40, renewTime: at, owner: { name: 'n-1', uid: 'u-2' } });
  t.is(fieldsOf(metadata(again)).filter((f) => f.field === 13).length, 1, 'an owned Lease keeps its one owner');
});

test('a field replaced keeps its place, its earlier copies dropped; an absent one is added at the end', (t) => {
  const message = Buffer.concat([bytesField(1, 'a'), bytesField(2, 'old'), bytesField(3, 'c'), bytesField(2, 'last')]);
  const edited = withField(message, 2, (value) => bytesField(2, `${text(value)}!`));
  t.deepEqual(
    fieldsOf(edited).map((f) => [f.field, text(f.value)]),
    [
      [1, 'a'],
      [3, 'c'],
      [2, 'last!'],
    ],
  );
  t.deepEqual(
    fieldsOf(withField(bytesField(1, 'a'), 9, () => varintField(9, 300))).map((f) => f.field),
    [1, 9],
  );
});

test("an object's uid from its envelope", (t) => {
  t.is(uidOf(envelope('v1', 'Node', bytesField(1, Buffer.concat([bytesField(1, 'n-1'), bytesField(5, 'uid-7')])))), 'uid-7');
  t.is(uidOf(Buffer.from('{"kind":"Node"}')), undefined);
});
