import { checkIntegrity } from '../../load/seed.js';
import type { Sample } from '../../core/sample.js';
import { parseDuration } from '../../units.js';
import { sleep } from '../../util/wait.js';
import type { RunContext } from '../context.js';

/**
 * When the apiserver was ready again after the faults ended. Found down by the poll:
 * the moment the poll saw it ready. Up when first polled: either it never went down
 * (ready at the faults' end) or the recorder's readiness samples bound when it came back.
 */
export function recoveredAt(readiness: Sample[], faultsEnd: number, polledReadyAt: number, downWhenPolled: boolean): number {
  if (downWhenPolled) return polledReadyAt;
  const lastDown = readiness.filter((s) => s.value === 0).pop()?.t;
  if (lastDown === undefined) return faultsEnd;
  return readiness.find((s) => s.value === 1 && s.t > lastDown)?.t ?? polledReadyAt;
}

/** Polls /readyz closely until it answers or the recovery timeout passes; undefined if it never did. */
async function pollReady(run: RunContext, deadline: number): Promise<{ at: number; downWhenPolled: boolean } | undefined> {
  let down = false;
  while (Date.now() < deadline) {
    if (await run.state.cluster!.ready()) return { at: Date.now(), downWhenPolled: down };
    down = true;
    await sleep(100, run.signal);
  }
  return undefined;
}

/** recover, then verify: readiness counts from the end of the faults; after it, the "after" window and the objects' integrity. */
export async function recoverAndVerify(run: RunContext): Promise<void> {
  const { state } = run;
  const faultsEnd = state.faultsEnd ?? Date.now();
  run.phase('recover');
  const timeout = state.experiment.recovery?.timeout ?? '60s';
  const polled = await pollReady(run, Date.now() + parseDuration(timeout));
  state.recoveryChecked = true;
  if (!polled) {
    run.event('not-ready', `apiserver not ready ${timeout} after the faults`);
    return;
  }
  const readiness = state.store.select('cpchaos_apiserver_ready', undefined, faultsEnd, polled.at);
  const readyAt = recoveredAt(readiness, faultsEnd, polled.at, polled.downWhenPolled);
  state.readyAfterMs = Math.max(0, readyAt - faultsEnd);
  run.event('ready', `apiserver ready ${(state.readyAfterMs / 1000).toFixed(1)}s after the faults ended`, { readyAfterMs: state.readyAfterMs });
  run.phase('verify');
  const intervalMs = parseDuration(state.experiment.metrics?.interval ?? '1s');
  await sleep(Math.max(2 * intervalMs, parseDuration(state.experiment.recovery?.observe ?? '2s')), run.signal);
  state.windows.after = { from: readyAt, to: Date.now() };
  state.integrity = await checkIntegrity(state.client!, state.seeded);
}
