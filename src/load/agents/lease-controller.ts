/**
 * client-go's lease controller (component-helpers/apimachinery/lease), as the kubelet runs it:
 * in protobuf, over its heartbeat client, with nodeutil.SetNodeOwnerFunc as the post-processing
 * (until the Lease has an owner, GET the Node to set it; a failed GET fails the renewal) and
 * closeAllConns as onRepeatedHeartbeatFailure.
 */
import type { AgentWrite } from '../../core/agent-model.js';
import type { Cancellation } from '../../util/cancellation.js';
import { leaseHasOwner, newLease, renewedLease, uidOf, type LeaseRenewal } from './lease-protobuf.js';
import type { WireRequest, WireResponse } from './wire.js';

/** controller.go's maxUpdateRetries and maxBackoff. */
const maxUpdateRetries = 5;
const maxBackoffMs = 7000;
const protobuf = 'application/vnd.kubernetes.protobuf';

export interface LeaseControllerOptions {
  write: Extract<AgentWrite, { kind: 'lease' }>;
  /** Sends a request through the heartbeat client, counted as `what`; undefined when it got no answer. */
  send(what: string, request: WireRequest, expected?: number): Promise<WireResponse | undefined>;
  cancellation: Cancellation;
  labels: Record<string, string>;
  /** The kubelet's closeAllConns. */
  onRepeatedFailure(): void;
}

interface Ensured {
  lease?: Buffer;
  created: boolean;
}

export class LeaseController {
  /** The Lease as last written: renewed from it without a GET, as long as that works. */
  private latest?: Buffer;
  private readonly path: string;

  constructor(private readonly o: LeaseControllerOptions) {
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${o.write.namespace}/leases`;
  }

  /** controller.sync: renew the latest; failing that, read (or create) the Lease and renew what was read. */
  async sync(): Promise<void> {
    if (this.latest && (await this.retryUpdate(this.latest))) return;
    const ensured = await this.backoffEnsure();
    this.latest = ensured?.lease;
    if (ensured?.lease && !ensured.created) await this.retryUpdate(ensured.lease);
  }

  /** retryUpdateLease: up to 5 PUTs at once; a conflict reads the Lease again; each failure past the first closes the connections. */
  private async retryUpdate(base: Buffer): Promise<boolean> {
    let current: Buffer | undefined = base;
    for (let i = 0; i < maxUpdateRetries && current && !this.o.cancellation.stopped; i++) {
      const renewal = await this.renewal(current);
      if (renewal) {
        const body = renewedLease(current, renewal);
        const put = await this.o.send('PUT leases', { method: 'PUT', path: `${this.path}/${this.o.write.name}`, protobuf: true, body, contentType: protobuf });
        if (put?.status === 200) {
          this.latest = put.body;
          return true;
        }
        if (put?.status === 409) {
          current = (await this.backoffEnsure())?.lease;
          continue;
        }
      }
      if (i > 0) this.o.onRepeatedFailure();
    }
    return false;
  }

  /** backoffEnsureLease: ensureLease until it works, waiting 200 ms doubling to 7 s between tries; undefined once stopped. */
  private async backoffEnsure(): Promise<Ensured | undefined> {
    for (let sleepMs = 100; !this.o.cancellation.stopped;) {
      const ensured = await this.ensure();
      if (ensured) return ensured;
      sleepMs = Math.min(2 * sleepMs, maxBackoffMs);
      await this.o.cancellation.sleep(sleepMs);
    }
    return undefined;
  }

  /** ensureLease: GET it, CREATE it when missing; undefined for an error. A post-processing that fails creates nothing this time, without an error. */
  private async ensure(): Promise<Ensured | undefined> {
    const got = await this.o.send('GET leases', { method: 'GET', path: `${this.path}/${this.o.write.name}`, protobuf: true }, 404);
    if (got?.status === 200) return { lease: got.body, created: false };
    if (got?.status !== 404) return undefined;
    const renewal = await this.renewal(undefined);
    if (!renewal) return { created: false };
    const { name, namespace } = this.o.write;
    const body = newLease({ name, namespace, labels: this.o.labels, ...renewal });
    const created = await this.o.send('POST leases', { method: 'POST', path: this.path, protobuf: true, body, contentType: protobuf });
    return created?.status === 201 ? { lease: created.body, created: true } : undefined;
  }

  /** newLease: a new renewTime, holder and duration, and (SetNodeOwnerFunc) the Node as owner while it has none; undefined when the Node could not be read. */
  private async renewal(lease: Buffer | undefined): Promise<LeaseRenewal | undefined> {
    const { holder, durationSeconds, ownerNode } = this.o.write;
    const renewal: LeaseRenewal = { holder, durationSeconds, renewTime: new Date() };
    if (!ownerNode || (lease && leaseHasOwner(lease))) return renewal;
    const node = await this.o.send('GET nodes', { method: 'GET', path: `/api/v1/nodes/${ownerNode}`, protobuf: true });
    const uid = node?.status === 200 ? uidOf(node.body) : undefined;
    return uid ? { ...renewal, owner: { name: ownerNode, uid } } : undefined;
  }
}
