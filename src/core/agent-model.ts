/** What one informer of an agent lists and watches. */
export interface InformerTarget {
  resource: string;
  /** Collection path across namespaces, e.g. /api/v1/pods. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** A custom resource: real agents ask JSON for these (and protobuf for built-in kinds). */
  json?: boolean;
  /** Pods whose referenced Secrets and ConfigMaps the agent watches one by one, as the kubelet's watch-based managers do. */
  podObjects?: boolean;
}

/**
 * What an agent writes in steady state, as plain data (it crosses to worker threads and shards):
 * - register: create its object once at start (a kubelet's Node, a cilium-agent's CiliumNode); one that exists is fine;
 * - lease: client-go's lease controller: GET, CREATE if missing, then a PUT every `everyMs`;
 * - node-status: the kubelet's status loop: GET its Node from the watch cache every `everyMs`,
 *   PATCH its status at once and then every `reportEveryMs`.
 * lease and node-status are the kubelet's heartbeats: sent through its heartbeat client (a 10 s
 * timeout), their repeated failures close the agent's connections.
 */
export type AgentWrite =
  | { kind: 'register'; resource: string; path: string; template: RegisterTemplate; name: string }
  | { kind: 'lease'; namespace: string; name: string; holder: string; durationSeconds: number; everyMs: number; ownerNode?: string }
  | { kind: 'node-status'; node: string; everyMs: number; reportEveryMs: number };

/** The objects agents register, built when they are sent (a Node is 10-20 KiB: thousands of plans must not hold one each). */
export type RegisterTemplate = 'node' | 'cilium-node';

/**
 * Who an agent is to the apiserver, as its real counterpart authenticates: its node
 * (`system:node:<node>` in `system:nodes`, a kubelet's client certificate: the Node authorizer,
 * and API Priority and Fairness's system-nodes and system-node-high, one flow per node), or a
 * kube-system ServiceAccount every agent of the kind shares (kube-proxy's, cilium-agent's:
 * kube-system-service-accounts, one flow for them all).
 */
export type AgentIdentity = { kind: 'node' } | { kind: 'service-account'; name: string };

/** What one agent runs for its node. */
export interface AgentModel {
  informers: InformerTarget[];
  writes: AgentWrite[];
}
