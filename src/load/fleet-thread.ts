import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import { kubeconfigIdentity } from './client.js';
import { Fleet } from './fleet.js';
import type { FleetThreadInit, FromThread, ToThread } from './fleet-workers.js';

/**
 * A worker thread of the agent fleet: runs the agents of the plans it is handed,
 * with its own connections, and reports what they did every 100 ms.
 */
const init = workerData as FleetThreadInit;
const port = parentPort!;
const post = (message: FromThread) => port.postMessage(message);

try {
  const { tls } = await kubeconfigIdentity(init.identity.kubeconfigPath, init.identity.context);
  // No agent kinds here: the runner sends each agent's informers along with the plan.
  const fleet = new Fleet(init.server, { ...tls, ...(init.serverName ? { serverName: init.serverName } : {}) }, new Map(), {
    ...(init.socketBudget ? { socketBudget: init.socketBudget } : {}),
    handshakesInFlight: init.handshakesInFlight,
  });
  const report = setInterval(() => post({ type: 'stats', delta: fleet.stats.delta() }), 100);
  port.on('message', (message: ToThread) => {
    if (message.type === 'start') {
      if (message.identities) fleet.useIdentities(message.identities);
      void fleet.runPlan(message.plan).then(() => post({ type: 'started', id: message.id }));
      return;
    }
    if (message.type === 'reset') {
      void fleet.resetConnections(message.fraction).then((result) => post({ type: 'reset', id: message.id, result }));
      return;
    }
    void fleet.stop().then(() => {
      clearInterval(report);
      post({ type: 'stats', delta: fleet.stats.delta() });
      post({ type: 'stopped' });
    });
  });
} catch (error) {
  post({ type: 'failed', message: messageOf(error) });
}
