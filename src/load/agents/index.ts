import { cniAgent } from './cni-agent.js';
import { kubeProxy } from './kube-proxy.js';
import { kubelet } from './kubelet.js';
import type { AgentKind } from './types.js';

export const agentKinds: Record<'kubelet' | 'kube-proxy' | 'cni-agent', AgentKind> = { kubelet, 'kube-proxy': kubeProxy, 'cni-agent': cniAgent };
export type AgentType = keyof typeof agentKinds;
