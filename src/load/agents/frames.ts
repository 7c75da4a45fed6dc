import { fieldValue, unwrapEnvelope } from './protobuf-write.js';
/**
 * Just enough of the apiserver's responses for a reflector: a list's resourceVersion
 * and continue token, each watch event's type and resourceVersion, an error's code.
 * No object is decoded whole. Protobuf is read by field number without a schema (no
 * npm package reads Kubernetes' envelope and framing: protobufjs would need the
 * generated .proto files of every kind, and decode every field we skip).
 */

const magic = Buffer.from('k8s\0');
const initialEventsEnd = 'k8s.io/initial-events-end';

/** The fields of one protobuf message: each field number's last length-delimited value (as a byte range) or varint. */
interface Field {
  field: number;
  value: number;
  start: number;
  end: number;
}

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, i + 1];
  }
  throw new RangeError('truncated varint');
}

/** Walks a message's fields until `visit` returns true or the range ends. A field cut off by the end of the buffer stops the walk. */
export function walk(buf: Buffer, start: number, end: number, visit: (f: Field) => boolean | void): void {
  let at = start;
  while (at < end) {
    const [key, afterKey] = varint(buf, at);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const [value, next] = varint(buf, afterKey);
      if (visit({ field, value, start: afterKey, end: next })) return;
      at = next;
    } else if (wire === 2) {
      const [length, dataStart] = varint(buf, afterKey);
      if (visit({ field, value: length, start: dataStart, end: Math.min(dataStart + length, end) })) return;
      at = dataStart + length;
    } else if (wire === 1 || wire === 5) {
      at = afterKey + (wire === 1 ? 8 : 4);
    } else {
      throw new RangeError(`protobuf wire type ${wire}`);
    }
  }
}

export function child(buf: Buffer, start: number, end: number, number: number): [number, number] | undefined {
  let found: [number, number] | undefined;
  walk(buf, start, end, (f) => {
    if (f.field !== number) return false;
    found = [f.start, f.end];
    return true;
  });
  return found;
}

export function stringField(buf: Buffer, start: number, end: number, number: number): string | undefined {
  const range = child(buf, start, end, number);
  return range ? buf.toString('utf8', range[0], range[1]) : undefined;
}

/** The object inside the "k8s\0" envelope: runtime.Unknown's raw (field 2). */
export function unwrap(buf: Buffer, start = 0, end = buf.length): [number, number] | undefined {
  if (end - start < 4 || buf.compare(magic, 0, 4, start, start + 4) !== 0) return undefined;
  return child(buf, start + 4, end, 2);
}

export interface ListHead {
  resourceVersion?: string;
  continueToken?: string;
}

/** A protobuf list's ListMeta (field 1: resourceVersion 2, continue 3), from the head of the body: it precedes the items. */
export function protobufListHead(head: Buffer): ListHead {
  const raw = unwrap(head);
  const meta = raw && child(head, raw[0], raw[1], 1);
  if (!meta) return {};
  return { resourceVersion: stringField(head, meta[0], meta[1], 2), continueToken: stringField(head, meta[0], meta[1], 3) || undefined };
}

/** A JSON list's resourceVersion and continue token from the head of its body: metadata comes before items. */
export function jsonListHead(head: string): ListHead {
  const metadata = /"metadata":\{([^{}]*)\}/.exec(head)?.[1] ?? '';
  return { resourceVersion: /"resourceVersion":"([^"]*)"/.exec(metadata)?.[1], continueToken: /"continue":"([^"]*)"/.exec(metadata)?.[1] || undefined };
}

export interface WatchFrame {
  type: string;
  resourceVersion?: string;
  /** A BOOKMARK that ends a WatchList's initial events. */
  initialEventsEnd: boolean;
  /** An ERROR event's Status code (410: the resourceVersion is too old). */
  code?: number;
  /** The frame's size on the wire. */
  bytes: number;
  /** The event's object for whoever reads objects (frames.ts reads none): a protobuf object's message, or a JSON event's whole line. */
  raw?: Buffer | string;
}

/** ObjectMeta (field 1 of every object): resourceVersion is field 6, annotations field 12 (map entries: key 1, value 2). */
function objectMeta(buf: Buffer, start: number, end: number): { resourceVersion?: string; initialEventsEnd: boolean } {
  const meta = child(buf, start, end, 1);
  if (!meta) return { initialEventsEnd: false };
  let resourceVersion: string | undefined;
  let ended = false;
  walk(buf, meta[0], meta[1], (f) => {
    if (f.field === 6) resourceVersion = buf.toString('utf8', f.start, f.end);
    if (f.field === 12 && stringField(buf, f.start, f.end, 1) === initialEventsEnd) ended = stringField(buf, f.start, f.end, 2) === 'true';
  });
  return { resourceVersion, initialEventsEnd: ended };
}

/** One frame of a protobuf watch stream: a metav1.WatchEvent (type 1, object 2: RawExtension whose raw 1 is an enveloped object). */
export function protobufWatchFrame(frame: Buffer): WatchFrame {
  const type = stringField(frame, 0, frame.length, 1) ?? '';
  const extension = child(frame, 0, frame.length, 2);
  const raw = extension && child(frame, extension[0], extension[1], 1);
  const object = raw && unwrap(frame, raw[0], raw[1]);
  const bytes = frame.length + 4;
  if (!object) return { type, initialEventsEnd: false, bytes };
  if (type === 'ERROR') {
    let code: number | undefined;
    walk(frame, object[0], object[1], (f) => {
      if (f.field === 6) code = f.value;
    });
    return { type, initialEventsEnd: false, code, bytes };
  }
  return { type, ...objectMeta(frame, object[0], object[1]), bytes, raw: frame.subarray(object[0], object[1]) };
}

/** One line of a JSON watch stream. Go writes metadata's fields in order, so the first resourceVersion is the object's. */
export function jsonWatchFrame(line: string): WatchFrame {
  const type = /^\{"type":"([A-Z]+)"/.exec(line)?.[1] ?? '';
  const bytes = line.length + 1;
  if (type === 'ERROR') {
    const code = /"code":(\d+)/.exec(line)?.[1];
    return { type, initialEventsEnd: false, bytes, ...(code ? { code: Number(code) } : {}) };
  }
  return {
    type,
    bytes,
    resourceVersion: /"resourceVersion":"([^"]*)"/.exec(line)?.[1],
    initialEventsEnd: type === 'BOOKMARK' && line.includes(`"${initialEventsEnd}":"true"`),
    raw: line,
  };
}

/** An error Status (JSON or protobuf): its code is the HTTP status; 504s with this cause mean the cache is behind the asked resourceVersion. */
export function tooLargeResourceVersion(body: Buffer): boolean {
  return body.includes('ResourceVersionTooLarge') || body.includes('Too large resource version');
}

/** An error Status's message (JSON, or protobuf: Status field 3 in the envelope's raw object), cut to `max` characters; undefined when the body is neither. */
export function statusMessage(body: Buffer, max = 300): string | undefined {
  let message: string | undefined;
  if (body[0] === 0x7b) {
    try {
      message = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message as string | undefined;
    } catch {
      return undefined;
    }
  } else {
    try {
      const raw = unwrapEnvelope(body);
      message = raw ? fieldValue(raw, 3)?.toString('utf8') : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof message === 'string' ? message.slice(0, max) : undefined;
}

/** Splits a protobuf watch stream into frames: each is a 4-byte big-endian length and that many bytes. */
export class LengthDelimitedFrames {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 4) {
      const length = buf.readUInt32BE(0);
      if (buf.length < 4 + length) break;
      onFrame(buf.subarray(4, 4 + length));
      buf = buf.subarray(4 + length);
    }
    // Copy what is left, so that a small remainder does not pin a large chunk.
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }
}

/** Splits a JSON watch stream into lines. */
export class JsonLines {
  private pending = '';

  push(chunk: Buffer, onLine: (line: string) => void): void {
    this.pending += chunk.toString('utf8');
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      onLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
  }
}
