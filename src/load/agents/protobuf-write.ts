/**
 * Just enough protobuf writing to send a built-in object as client-go does, without its
 * schema: fields are built from numbers, and an object read from the apiserver is edited by
 * replacing whole fields and keeping every other byte as it came (its resourceVersion, its
 * managedFields). The reading side is frames.ts.
 */

/** Kubernetes' protobuf envelope: the magic before a runtime.Unknown. */
export const envelopeMagic = Buffer.from('k8s\0');

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A length-delimited field: a string, bytes or a message. */
export function bytesField(field: number, value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint(field * 8 + 2), varint(bytes.length), bytes]);
}

/** A varint field (int32, int64 or bool, not negative). */
export function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field * 8), varint(value)]);
}

/** One field of a message as it lies in its buffer: its number, its whole bytes (key included), and its value's. */
export interface RawField {
  field: number;
  whole: Buffer;
  value: Buffer;
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    value += (buf[i]! & 0x7f) * scale;
    scale *= 128;
    if (buf[i]! < 0x80) return [value, i + 1];
  }
  throw new RangeError('truncated varint');
}

/** The fields of a message, in order. */
export function fieldsOf(message: Buffer): RawField[] {
  const fields: RawField[] = [];
  for (let at = 0; at < message.length;) {
    const [key, afterKey] = readVarint(message, at);
    const wire = key & 7;
    let valueStart = afterKey;
    let end: number;
    if (wire === 0) end = readVarint(message, afterKey)[1];
    else if (wire === 1 || wire === 5) end = afterKey + (wire === 1 ? 8 : 4);
    else if (wire === 2) {
      const [length, dataStart] = readVarint(message, afterKey);
      valueStart = dataStart;
      end = dataStart + length;
    } else throw new RangeError(`protobuf wire type ${wire}`);
    if (end > message.length) throw new RangeError('truncated protobuf field');
    fields.push({ field: Math.floor(key / 8), whole: message.subarray(at, end), value: message.subarray(valueStart, end) });
    at = end;
  }
  return fields;
}

/** The value of a message's last field `field` (protobuf's rule for a repeated singular field), if it has one. */
export function fieldValue(message: Buffer, field: number): Buffer | undefined {
  return fieldsOf(message)
    .filter((f) => f.field === field)
    .pop()?.value;
}

/**
 * A message with field `field` replaced: `edit` gets its current value (undefined when absent)
 * and returns the new field's whole bytes; the field keeps its place, or is added at the end.
 */
export function withField(message: Buffer, field: number, edit: (value: Buffer | undefined) => Buffer): Buffer {
  const fields = fieldsOf(message);
  const last = fields.map((f) => f.field).lastIndexOf(field);
  if (last < 0) return Buffer.concat([message, edit(undefined)]);
  // Earlier copies of the field are dropped: the last one is the value a reader takes.
  return Buffer.concat(fields.flatMap((f, i) => (f.field !== field ? [f.whole] : i === last ? [edit(f.value)] : [])));
}

/** An object in the envelope: runtime.Unknown with its TypeMeta (1) and raw bytes (2), as the apiserver reads a protobuf body. */
export function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([envelopeMagic, bytesField(1, typeMeta), bytesField(2, raw)]);
}

/** The raw object inside an envelope, or undefined when `body` is not one. */
export function unwrapEnvelope(body: Buffer): Buffer | undefined {
  if (body.length < 4 || body.compare(envelopeMagic, 0, 4, 0, 4) !== 0) return undefined;
  return fieldValue(body.subarray(4), 2);
}

/** An envelope whose raw object is `edit`ed, its TypeMeta and the rest kept. */
export function editEnvelope(body: Buffer, edit: (raw: Buffer) => Buffer): Buffer {
  const unknown = body.subarray(4);
  return Buffer.concat([envelopeMagic, withField(unknown, 2, (raw) => bytesField(2, edit(raw ?? Buffer.alloc(0))))]);
}
