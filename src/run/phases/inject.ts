import { AbortedError, messageOf } from '../../errors.js';
import type { FaultSpec } from '../../experiment/schema.js';
import { parseDuration } from '../../units.js';
import { sleep } from '../../util/wait.js';
import { stormRequests } from '../../load/agents/storm-requests.js';
import { subtract } from '../../load/agents/stats.js';
import type { RunContext } from '../context.js';

/** One fault at its `at`; a fault that fails is recorded and the others go on. */
async function runFault(run: RunContext, fault: FaultSpec, index: number): Promise<void> {
  const name = fault.name ?? `${fault.type}#${index}`;
  await sleep(parseDuration(fault.at ?? '0s'), run.signal);
  run.event('fault-start', name, { fault: name, faultType: fault.type });
  try {
    const plugin = run.catalog.faults.get(fault.type);
    if (!plugin) throw new Error(`no fault "${fault.type}"`);
    await plugin.run(fault, run.state.environment!.context);
    run.event('fault-end', name, { fault: name });
  } catch (error) {
    if (run.signal.aborted) throw new AbortedError();
    run.state.faultErrors.push(`${name}: ${messageOf(error)}`);
    run.event('fault-error', `${name}: ${messageOf(error)}`, { fault: name });
  }
}

/** inject, then observe: the faults together; observation runs from their start for `observe` (at least until they end). */
export async function injectAndObserve(run: RunContext): Promise<void> {
  const { state } = run;
  run.phase('inject');
  const faultsStart = Date.now();
  state.windows.during = { from: faultsStart, to: Number.POSITIVE_INFINITY };
  const requestsBefore = state.environment?.fleet.requestCounts();
  await Promise.all((state.experiment.faults ?? []).map((fault, i) => runFault(run, fault, i)));
  state.faultsEnd = Date.now();
  run.phase('observe');
  const observeMs = state.experiment.observe ? parseDuration(state.experiment.observe) : 10_000;
  await sleep(Math.max(0, faultsStart + observeMs - Date.now()), run.signal);
  if (state.experiment.observeAgents) await observeUntilAgentsWatch(run, parseDuration(state.experiment.observeAgents));
  // The fleet's counters reach the store once per interval; the window closes once they have.
  await state.recorder?.flush();
  state.windows.during = { from: faultsStart, to: Date.now() };
  if (requestsBefore) reportAgentRequests(run, requestsBefore);
}

/** Which door the storm went through, per agent type: re-watches, lists the watch cache serves, quorum lists. */
function reportAgentRequests(run: RunContext, before: Map<string, Map<string, number>>): void {
  const now = run.state.environment!.fleet.requestCounts();
  const byType = Object.fromEntries([...now].map(([type, requests]) => [type, stormRequests(new Map(subtract(requests, before.get(type))))]));
  const parts = Object.entries(byType)
    .filter(([, s]) => s.rewatches + s.cachedLists + s.quorumLists > 0)
    .map(([type, s]) => `${type} ${s.rewatches} re-watches, ${s.cachedLists} lists at a cached resourceVersion, ${s.quorumLists} quorum lists (rv="")`);
  if (parts.length > 0) run.event('agent-requests', `during the faults: ${parts.join('; ')}`, { byType });
}

/** A storm's relists end on the agents' jittered backoff, not on the clock: the window waits for them, within a bound. */
async function observeUntilAgentsWatch(run: RunContext, maxMs: number): Promise<void> {
  const fleet = run.state.environment?.fleet;
  if (!fleet) return;
  const started = Date.now();
  while (!fleet.watching() && Date.now() - started < maxMs) await sleep(100, run.signal);
  const waitedMs = Date.now() - started;
  if (fleet.watching()) run.event('agents-watching', `every agent informer watching again after ${waitedMs} ms more`, { waitedMs });
  else run.event('agents-not-watching', `not every agent informer watching again within ${maxMs / 1000}s more`, { waitedMs });
}
