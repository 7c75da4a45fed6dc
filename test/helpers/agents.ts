/**
 * A kubelet with its pod reflector alone: what the tests of relist storms and connection
 * drops measure, without the Secret and ConfigMap, Node, Service and RuntimeClass watches and the heartbeats
 * that the full model adds (test/e2e/agent-kinds.test.ts covers those).
 */
export const podsOnlyKubelet = ['podObjects', 'node', 'services', 'runtimeClasses', 'lease', 'nodeStatus'];

/** The same as an experiment's `parts:` line. */
export const podsOnlyKubeletParts = `parts: { ${podsOnlyKubelet.map((part) => `${part}: false`).join(', ')} }`;
