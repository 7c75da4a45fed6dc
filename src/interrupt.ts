import { setMaxListeners } from 'node:events';

/**
 * Runs `work` with an AbortSignal that fires on Ctrl-C or SIGTERM, so the work
 * can tear down what it started before the process exits. A second Ctrl-C does
 * not skip the teardown: leaving processes and cgroups behind is worse than waiting.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // Every concurrent wait (one per seeding worker, per LIST client) listens on this one signal.
  setMaxListeners(0, controller.signal);
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count++;
    if (count === 1) process.stderr.write(`\n${name}: stopping and cleaning up...\n`);
    else process.stderr.write(`${name}: still cleaning up, please wait\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
