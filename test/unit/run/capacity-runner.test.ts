import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { capacitySearch, capacityMarkdown } from '../../../src/capacity.js';
import { fixtureCatalog } from '../../fixtures/plugins/index.js';

/**
 * A capacity search whose failures are the runner's own: the fault busies the runner's
 * thread longer at every value, and the hypothesis breaks with it. A value that fails
 * with the runner saturated stops the search as inconclusive, not as the control plane's limit.
 */
const starved = (fault: string) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata: { name: starved }
cluster: { provider: fake }
steadyState: { duration: 300ms }
metrics: { interval: 100ms }
observe: 300ms
recovery: { timeout: 3s, observe: 100ms }
faults: [${fault}]
hypotheses:
  - { name: runner responsive, metric: cpchaos_process_event_loop_lag_max_seconds, labels: { component: runner }, aggregate: max, window: during, comparator: '<', threshold: 0.15 }
`;

test('a failure while the runner was saturated is inconclusive: no limit of the control plane is claimed, and the search stops there', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-unit-capacity-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'experiment.yaml');
  await fs.writeFile(file, starved('{ type: outage, for: 100ms, blockMs: 1 }'));
  const lines: string[] = [];
  const result = await capacitySearch({
    file,
    catalog: fixtureCatalog,
    vary: 'faults[0].blockMs',
    from: 25,
    to: 800,
    repeat: 1,
    resultsRoot: dir,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
  });
  t.truthy(result.inconclusive, lines.join('\n'));
  t.is(result.firstFailing, undefined, 'no value is reported as the control plane failing');
  t.true([100, 200, 400].includes(result.inconclusive!.value), `stopped at ${result.inconclusive!.value}`);
  t.is(Math.max(...result.trials.map((tr) => tr.value)), result.inconclusive!.value, 'nothing was tried past it');
  t.regex(result.inconclusive!.reasons.join(), /event-loop lag p99/);
  t.regex(capacityMarkdown(result), /Inconclusive at faults\[0\]\.blockMs=\d+: the runner itself was saturated .* To measure further: more worker threads/);
});

test('one stall of the host is not the runner’s limit: a failure with the runner saturated runs once more, and the second run counts', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-unit-capacity-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'experiment.yaml');
  await fs.writeFile(file, starved('{ type: outage, for: 100ms, blockMs: 1, blockOnce: true }'));
  const lines: string[] = [];
  const result = await capacitySearch({
    file,
    catalog: fixtureCatalog,
    vary: 'faults[0].blockMs',
    from: 400,
    to: 400,
    repeat: 1,
    resultsRoot: dir,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
  });
  t.is(result.inconclusive, undefined, lines.join('\n'));
  t.is(result.limit, 400, lines.join('\n'));
  const [trial] = result.trials;
  t.deepEqual(
    trial!.runs.map((run) => [run.runId, run.status, run.superseded ?? false]),
    [
      ['faults-0-blockMs-400-1', 'deviated', true],
      ['faults-0-blockMs-400-2', 'passed', false],
    ],
  );
  t.regex(capacityMarkdown(result), /`faults-0-blockMs-400-1` deviated \(runner responsive\), runner saturated: run again; `faults-0-blockMs-400-2` passed/);
});
