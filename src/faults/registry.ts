import { apf } from './apf.js';
import { connectionDrop } from './connection-drop.js';
import { crdBurst } from './crd-burst.js';
import { deleteObjects } from './delete-objects.js';
import { killProcess } from './kill-process.js';
import { listFlood } from './list-flood.js';
import { memoryLimit } from './memory-limit.js';
import { mixedWorkload } from './mixed-workload.js';
import { nodeJoinBurst } from './node-join-burst.js';
import { pauseNode } from './pause-node.js';
import { pauseProcess } from './pause-process.js';
import { restartLoadBalancer } from './restart-load-balancer.js';
import type { FaultDefinition } from './types.js';

/** Every fault, found by the `type` of an experiment's fault entry. One file each. */
export const faultDefinitions: FaultDefinition<never>[] = [listFlood, deleteObjects, killProcess, pauseProcess, memoryLimit, apf, crdBurst, mixedWorkload, connectionDrop, nodeJoinBurst, pauseNode, restartLoadBalancer] as unknown as FaultDefinition<never>[];

export function faultByType(type: string): FaultDefinition<Record<string, unknown>> | undefined {
  return faultDefinitions.find((f) => f.type === type) as FaultDefinition<Record<string, unknown>> | undefined;
}
