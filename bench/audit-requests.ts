import fs from 'node:fs/promises';
import path from 'node:path';

/** An audit policy that logs every LIST and WATCH of pods once it is answered (or its stream starts), with nothing else. */
export const podReadsAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources: [{ group: "", resources: ["pods"] }]
    verbs: [list, watch]
  - level: None
`;

/** An audit policy that logs every resource request once it is answered (or its stream starts), with its user agent. */
export const agentRequestsAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    nonResourceURLs: ["*"]
  - level: Metadata
`;

/** The apiserver flags that write an audit log (by default `podReadsAuditPolicy`'s) into `dir`; the policy file is written there too. */
export async function auditArgs(dir: string, policyText = podReadsAuditPolicy): Promise<{ args: Record<string, string>; log: string }> {
  const policy = path.join(dir, 'audit-policy.yaml');
  await fs.writeFile(policy, policyText);
  const log = path.join(dir, 'audit.log');
  return { args: { 'audit-policy-file': policy, 'audit-log-path': log, 'audit-log-mode': 'blocking' }, log };
}

interface AuditEvent {
  auditID: string;
  verb: string;
  requestURI: string;
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
  responseStatus?: { code?: number };
  user?: { username?: string; groups?: string[] };
}

/**
 * What a request asked, as the apiserver saw it: "LIST rv=0 limit=500", "WATCH rv=N",
 * "WATCHLIST rv=", with its answer when it was not a 200 ("WATCH rv=N -> 410").
 * Any resourceVersion but "" and "0" is written N.
 */
export function requestClass(event: Pick<AuditEvent, 'verb' | 'requestURI'> & { code?: number }): string {
  const query = new URLSearchParams(event.requestURI.split('?')[1] ?? '');
  const rv = query.get('resourceVersion') ?? '';
  const verb = event.verb === 'watch' ? (query.get('sendInitialEvents') === 'true' ? 'WATCHLIST' : 'WATCH') : 'LIST';
  const parts = [verb, `rv=${rv === '' || rv === '0' ? rv : 'N'}`];
  if (query.get('limit')) parts.push(`limit=${query.get('limit')}`);
  if (query.get('continue')) parts.push('continue');
  // A client with a timeout (the kubelet's heartbeat client) sends it with each request, and the apiserver ends the
  // request there. A watch's only repeats its timeoutSeconds (typed clients send both), which the apiserver takes alike.
  if (query.get('timeout') && event.verb !== 'watch') parts.push(`timeout=${query.get('timeout')}`);
  const code = event.code ?? 200;
  return code === 200 ? parts.join(' ') : `${parts.join(' ')} -> ${code}`;
}

/** Which agents' requests to count: received in [sinceMs, untilMs), for the nodes `node` accepts (all by default). */
export interface RequestFilter {
  sinceMs: number;
  untilMs?: number;
  node?: (name: string) => boolean;
}

function nodeOf(requestURI: string): string {
  const selector = new URLSearchParams(requestURI.split('?')[1] ?? '').get('fieldSelector') ?? '';
  return /spec\.nodeName=([^,]+)/.exec(selector)?.[1] ?? '';
}

/** The agents' pod LISTs and WATCHes the filter accepts, in the order received, with their node. */
async function filteredRequests(log: string, filter: RequestFilter): Promise<{ node: string; received: number; request: string }[]> {
  const text = await fs.readFile(log, 'utf8').catch(() => '');
  const first = new Map<string, AuditEvent>();
  for (const line of text.split('\n')) {
    if (!line.includes('spec.nodeName')) continue;
    const event = JSON.parse(line) as AuditEvent;
    // A watch is logged when its stream starts and again when it ends: the first says what it got.
    if (!first.has(event.auditID)) first.set(event.auditID, event);
  }
  const requests = [];
  for (const event of first.values()) {
    const received = Date.parse(event.requestReceivedTimestamp);
    if (received < filter.sinceMs || received >= (filter.untilMs ?? Number.POSITIVE_INFINITY)) continue;
    const uri = decodeURIComponent(event.requestURI);
    const node = nodeOf(uri);
    if (filter.node && !filter.node(node)) continue;
    requests.push({ node, received, request: requestClass({ verb: event.verb, requestURI: uri, code: event.responseStatus?.code }) });
  }
  return requests.sort((a, b) => a.received - b.received);
}

/** The agents' pod LISTs and WATCHes (by their node field selector), counted by class. */
export async function agentRequests(log: string, filter: RequestFilter): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { request } of await filteredRequests(log, filter)) counts[request] = (counts[request] ?? 0) + 1;
  return counts;
}

/** Each agent's requests in order ("WATCH rv=N -> 410, LIST rv=N, WATCH rv=N"), counted by sequence. */
export async function agentSequences(log: string, filter: RequestFilter): Promise<Record<string, number>> {
  const byNode = new Map<string, string[]>();
  for (const { node, request } of await filteredRequests(log, filter)) byNode.set(node, [...(byNode.get(node) ?? []), request]);
  const counts: Record<string, number> = {};
  for (const sequence of byNode.values()) {
    const key = sequence.join(', ');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Waits until the agents' requests since `sinceMs` have stopped growing for `quietMs` (at most `timeoutMs`); returns them. */
export async function settledRequests(log: string, filter: RequestFilter, quietMs: number, timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let changedAt = Date.now();
  for (;;) {
    const counts = await agentRequests(log, filter);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total !== last) {
      last = total;
      changedAt = Date.now();
    }
    if ((total > 0 && Date.now() - changedAt >= quietMs) || Date.now() > deadline) return counts;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Any request of an agent as the apiserver saw it, by verb, resource and selector:
 * "WATCHLIST pods fieldSelector=spec.nodeName=<node> rv=", "PUT leases", "GET nodes rv=0",
 * "PATCH nodes/status", with its answer when not a 2xx. Node names are written <node>.
 */
export function agentRequestClass(event: Pick<AuditEvent, 'verb' | 'requestURI' | 'objectRef'> & { code?: number }): string {
  const query = new URLSearchParams(event.requestURI.split('?')[1] ?? '');
  const ref = event.objectRef ?? {};
  const parts = [
    { list: 'LIST', watch: query.get('sendInitialEvents') === 'true' ? 'WATCHLIST' : 'WATCH', get: 'GET', create: 'POST', update: 'PUT', patch: 'PATCH' }[
      event.verb
    ] ?? event.verb.toUpperCase(),
    `${ref.resource ?? '?'}${ref.subresource ? `/${ref.subresource}` : ''}`,
  ];
  for (const key of ['fieldSelector', 'labelSelector']) if (query.get(key)) parts.push(`${key}=${query.get(key)!.replace(/cpchaos-node-\d+/g, '<node>')}`);
  const rv = query.get('resourceVersion');
  if (event.verb === 'list' || event.verb === 'watch' || rv !== null) parts.push(`rv=${rv === null || rv === '' || rv === '0' ? (rv ?? '') : 'N'}`);
  if (query.get('limit')) parts.push(`limit=${query.get('limit')}`);
  if (query.get('continue')) parts.push('continue');
  // A client with a timeout (the kubelet's heartbeat client) sends it with each request, and the apiserver ends the
  // request there. A watch's only repeats its timeoutSeconds (typed clients send both), which the apiserver takes alike.
  if (query.get('timeout') && event.verb !== 'watch') parts.push(`timeout=${query.get('timeout')}`);
  const code = event.code ?? 200;
  return code < 300 ? parts.join(' ') : `${parts.join(' ')} -> ${code}`;
}

/** Every request whose user agent starts with `userAgent`, received in [sinceMs, untilMs): a watch's first event only (it is logged again when it ends). */
async function eventsOf(log: string, userAgent: string, sinceMs: number, untilMs: number): Promise<AuditEvent[]> {
  const text = await fs.readFile(log, 'utf8').catch(() => '');
  const seen = new Set<string>();
  const events: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(userAgent)) continue;
    const event = JSON.parse(line) as AuditEvent;
    if (seen.has(event.auditID) || !event.userAgent?.startsWith(userAgent)) continue;
    seen.add(event.auditID);
    const received = Date.parse(event.requestReceivedTimestamp);
    if (received >= sinceMs && received < untilMs) events.push(event);
  }
  return events;
}

/** Counts `events` by what `classOf` says of each. */
function countBy(events: AuditEvent[], classOf: (event: AuditEvent) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const key = classOf(event);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Every request whose user agent starts with `userAgent`, received in [sinceMs, untilMs), counted by `agentRequestClass`. */
export async function requestsOf(log: string, userAgent: string, sinceMs: number, untilMs = Number.POSITIVE_INFINITY): Promise<Record<string, number>> {
  return countBy(await eventsOf(log, userAgent, sinceMs, untilMs), (event) =>
    agentRequestClass({ ...event, requestURI: decodeURIComponent(event.requestURI), code: event.responseStatus?.code }),
  );
}

/**
 * Who the apiserver took the requests of user agent `userAgent` for, counted: "<user> [<groups>]",
 * node numbers written <node> and a ServiceAccount's name <account> (each side names its own).
 */
export async function usersOf(log: string, userAgent: string, sinceMs: number): Promise<Record<string, number>> {
  return countBy(await eventsOf(log, userAgent, sinceMs, Number.POSITIVE_INFINITY), (event) => {
    const name = (event.user?.username ?? '?').replace(/cpchaos-node-\d+/, '<node>').replace(/^(system:serviceaccount:[^:]+:).*/, '$1<account>');
    return `${name} [${[...(event.user?.groups ?? [])].sort().join(',')}]`;
  });
}
