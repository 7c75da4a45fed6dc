import type { AgentIdentity, AgentModel } from '../../core/agent-model.js';

export type { AgentIdentity, AgentModel, AgentWrite, InformerTarget } from '../../core/agent-model.js';

/** What the fleet needs of a kind of node agent: what it runs for a node, with some of its parts switched off. */
export interface AgentKind {
  parts: Readonly<Record<string, string>>;
  /** `minor`: the agent's release (1.33 -> 33), the newest when not said. */
  model(node: string, off: ReadonlySet<string>, minor?: number): AgentModel;
  crds?(): Record<string, unknown>[];
  identity?: AgentIdentity;
}
