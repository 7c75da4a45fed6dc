import { setMaxListeners } from 'node:events';
import { CrashError } from './errors.js';

const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `work` with an AbortSignal that fires on Ctrl-C or SIGTERM, so the work
 * can tear down what it started before the process exits. A second Ctrl-C does
 * not skip the teardown: leaving processes and cgroups behind is worse than waiting.
 *
 * An exception nothing caught (a bug, thrown from a timer or a socket's callback) would end
 * the process at once and leave its cluster running. It aborts the signal with a CrashError
 * instead, so the work tears down the same way, and the crash is thrown once it has (unless
 * `resultTellsCrash`: a run's summary records the crash and sets the exit code itself).
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>, { resultTellsCrash = false } = {}): Promise<T> {
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
  let crash: CrashError | undefined;
  const onCrash = (error: unknown) => {
    const first = crash === undefined;
    crash ??= new CrashError(error);
    process.stderr.write(`\n${first ? crash.message : `while cleaning up, another crash: ${String(error)}`}\n`);
    if (process.env.CPCHAOS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    if (first) process.stderr.write('stopping and cleaning up...\n');
    controller.abort(crash);
  };
  for (const name of signals) process.on(name, onSignal);
  // Node raises an unhandled rejection as an uncaught exception, so this one event covers both.
  process.on('uncaughtException', onCrash);
  try {
    const result = await work(controller.signal);
    if (crash && !resultTellsCrash) throw crash;
    return result;
  } catch (error) {
    // Whatever the work failed with after a crash (an abort, mostly), the crash is the cause.
    throw crash ?? error;
  } finally {
    for (const name of signals) process.off(name, onSignal);
    process.off('uncaughtException', onCrash);
  }
}
