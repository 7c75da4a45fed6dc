import type { AgentModel } from '../../core/agent-model.js';

export type { AgentModel, AgentWrite, InformerTarget } from '../../core/agent-model.js';

/** What the fleet needs of a kind of node agent: what it runs for a node, with some of its parts switched off. */
export interface AgentKind {
  parts: Readonly<Record<string, string>>;
  model(node: string, off: ReadonlySet<string>): AgentModel;
  crds?(): Record<string, unknown>[];
}
