/**
 * The kubelet's node Lease in protobuf, as its heartbeat client (content type protobuf) sends
 * it: coordination.k8s.io/v1 Lease { metadata 1, spec 2 }, LeaseSpec { holderIdentity 1,
 * leaseDurationSeconds 2, renewTime 4 }, MicroTime { seconds 1, nanos 2 }. A renewal edits
 * the Lease last read back, keeping its resourceVersion, as client-go's lease controller does.
 */
import { bytesField, editEnvelope, envelope, fieldValue, unwrapEnvelope, varintField, withField } from './protobuf-write.js';

export interface LeaseRenewal {
  holder: string;
  durationSeconds: number;
  renewTime: Date;
  /** The Node that owns the Lease, set once while it has no owner (the kubelet's post-processing). */
  owner?: { name: string; uid: string };
}

export interface NewLease extends LeaseRenewal {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

function microTime(at: Date): Buffer {
  const ms = at.getTime();
  return Buffer.concat([varintField(1, Math.floor(ms / 1000)), varintField(2, (ms % 1000) * 1_000_000)]);
}

/** OwnerReference { kind 1, name 3, uid 4, apiVersion 5 }. */
function nodeOwner(owner: { name: string; uid: string }): Buffer {
  return bytesField(13, Buffer.concat([bytesField(1, 'Node'), bytesField(3, owner.name), bytesField(4, owner.uid), bytesField(5, 'v1')]));
}

function renewedSpec(spec: Buffer, renewal: LeaseRenewal): Buffer {
  const holder = withField(spec, 1, () => bytesField(1, renewal.holder));
  const duration = withField(holder, 2, () => varintField(2, renewal.durationSeconds));
  return withField(duration, 4, () => bytesField(4, microTime(renewal.renewTime)));
}

/** A Lease to create, in its envelope. */
export function newLease(lease: NewLease): Buffer {
  const labels = Object.entries(lease.labels).map(([key, value]) => bytesField(11, Buffer.concat([bytesField(1, key), bytesField(2, value)])));
  const metadata = Buffer.concat([bytesField(1, lease.name), bytesField(3, lease.namespace), ...labels, ...(lease.owner ? [nodeOwner(lease.owner)] : [])]);
  const raw = Buffer.concat([bytesField(1, metadata), bytesField(2, renewedSpec(Buffer.alloc(0), lease))]);
  return envelope('coordination.k8s.io/v1', 'Lease', raw);
}

/** Whether a Lease read back (in its envelope) names an owner. */
export function leaseHasOwner(body: Buffer): boolean {
  const metadata = fieldValue(unwrapEnvelope(body) ?? Buffer.alloc(0), 1);
  return metadata !== undefined && fieldValue(metadata, 13) !== undefined;
}

/** The Lease read back, renewed: a new renewTime, its holder and duration, and its owner when it had none. */
export function renewedLease(body: Buffer, renewal: LeaseRenewal): Buffer {
  return editEnvelope(body, (raw) => {
    const renewed = withField(raw, 2, (spec) => bytesField(2, renewedSpec(spec ?? Buffer.alloc(0), renewal)));
    const owner = renewal.owner;
    if (!owner) return renewed;
    return withField(renewed, 1, (metadata) => {
      const current = metadata ?? Buffer.alloc(0);
      return bytesField(1, fieldValue(current, 13) ? current : Buffer.concat([current, nodeOwner(owner)]));
    });
  });
}

/** An object's metadata.uid (ObjectMeta field 5), from its envelope. */
export function uidOf(body: Buffer): string | undefined {
  const metadata = fieldValue(unwrapEnvelope(body) ?? Buffer.alloc(0), 1);
  return metadata ? fieldValue(metadata, 5)?.toString('utf8') : undefined;
}
