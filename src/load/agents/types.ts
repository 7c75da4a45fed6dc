/** What one informer of an agent lists and watches. */
export interface InformerTarget {
  resource: string;
  /** Collection path across namespaces, e.g. /api/v1/pods. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** A custom resource: real agents ask JSON for these (and protobuf for built-in kinds). */
  json?: boolean;
}

/** What the fleet needs of a kind of node agent: which informers it runs for a given node. */
export interface AgentKind {
  informers(node: string): InformerTarget[];
}
