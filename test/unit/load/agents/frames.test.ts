import test from 'ava';
import {
  LengthDelimitedFrames,
  jsonListHead,
  jsonWatchFrame,
  protobufListHead,
  protobufWatchFrame,
  statusMessage,
} from '../../../../src/load/agents/frames.js';

// Protobuf as the apiserver writes it: fields in number order, length-delimited messages.
function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(bytes);
}
const bytesField = (number: number, value: Buffer | string) => {
  const data = Buffer.from(value);
  return Buffer.concat([varint(number * 8 + 2), varint(data.length), data]);
};
const varintField = (number: number, value: number) => Buffer.concat([varint(number * 8), varint(value)]);
const envelope = (kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from('k8s\0'), bytesField(1, Buffer.concat([bytesField(1, 'v1'), bytesField(2, kind)])), bytesField(2, raw)]);
const watchEvent = (type: string, object: Buffer) => Buffer.concat([bytesField(1, type), bytesField(2, bytesField(1, object))]);

test('a protobuf list: its resourceVersion and continue token from the ListMeta ahead of the items, even with the items cut off', (t) => {
  const items = Buffer.alloc(10_000, 7);
  const list = envelope('PodList', Buffer.concat([bytesField(1, Buffer.concat([bytesField(2, '4711'), bytesField(3, 'token')])), bytesField(2, items)]));
  t.deepEqual(protobufListHead(list.subarray(0, 200)), { resourceVersion: '4711', continueToken: 'token' });
});

test('protobuf watch frames: type and resourceVersion of an object, the initial-events-end bookmark, the code of an ERROR', (t) => {
  const meta = (rv: string, annotations: Buffer[] = []) =>
    bytesField(1, Buffer.concat([bytesField(1, 'pod-1'), bytesField(3, 'default'), bytesField(6, rv), ...annotations]));
  const pod = envelope('Pod', Buffer.concat([meta('123'), bytesField(2, 'spec bytes')]));
  t.like(protobufWatchFrame(watchEvent('MODIFIED', pod)), { type: 'MODIFIED', resourceVersion: '123', initialEventsEnd: false });
  const entry = (k: string, v: string) => bytesField(12, Buffer.concat([bytesField(1, k), bytesField(2, v)]));
  const bookmark = envelope('Pod', meta('200', [entry('other', 'x'), entry('k8s.io/initial-events-end', 'true')]));
  t.like(protobufWatchFrame(watchEvent('BOOKMARK', bookmark)), { type: 'BOOKMARK', resourceVersion: '200', initialEventsEnd: true });
  const status = envelope(
    'Status',
    Buffer.concat([bytesField(2, 'Failure'), bytesField(3, 'too old resource version'), bytesField(4, 'Expired'), varintField(6, 410)]),
  );
  t.like(protobufWatchFrame(watchEvent('ERROR', status)), { type: 'ERROR', code: 410 });
});

test('a protobuf watch stream is split on its 4-byte lengths, whatever the chunks', (t) => {
  const frames = [Buffer.from('first'), Buffer.alloc(300, 1), Buffer.from('x')];
  const stream = Buffer.concat(frames.flatMap((f) => [Buffer.from([0, 0, f.length >> 8, f.length & 255]), f]));
  const seen: Buffer[] = [];
  const splitter = new LengthDelimitedFrames();
  for (let at = 0; at < stream.length; at += 7) splitter.push(stream.subarray(at, at + 7), (f) => seen.push(Buffer.from(f)));
  t.deepEqual(seen, frames);
});

test('JSON: the list head and watch lines', (t) => {
  t.deepEqual(
    jsonListHead('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"99","continue":"c"},"items":[{"metadata":{"resourceVersion":"1"'),
    {
      resourceVersion: '99',
      continueToken: 'c',
    },
  );
  t.like(jsonWatchFrame('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"p","resourceVersion":"7"}}}'), { type: 'ADDED', resourceVersion: '7' });
  t.like(jsonWatchFrame('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"8","annotations":{"k8s.io/initial-events-end":"true"}}}}'), {
    initialEventsEnd: true,
  });
  t.like(jsonWatchFrame('{"type":"ERROR","object":{"kind":"Status","code":410}}'), { type: 'ERROR', code: 410 });
});

test("an error Status's message, in protobuf or JSON; nothing from a body that is neither", (t) => {
  const status = envelope(
    'Status',
    Buffer.concat([bytesField(2, 'Failure'), bytesField(3, 'the object provided is unrecognized'), bytesField(4, 'BadRequest'), varintField(6, 400)]),
  );
  t.is(statusMessage(status), 'the object provided is unrecognized');
  t.is(
    statusMessage(Buffer.from('{"kind":"Status","message":"leases.coordination.k8s.io \\"n1\\" not found","code":404}')),
    'leases.coordination.k8s.io "n1" not found',
  );
  t.is(statusMessage(Buffer.from('upstream connect error')), undefined);
  t.is(statusMessage(Buffer.from('{"not json')), undefined);
});
