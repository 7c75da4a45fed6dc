/** What one informer of an agent lists and watches. */
export interface InformerTarget {
  resource: string;
  /** Collection path across namespaces, e.g. /api/v1/pods. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
}

/** A kind of node agent: which informers it runs for a given node. One file each. */
export interface AgentKind {
  informers(node: string): InformerTarget[];
}
