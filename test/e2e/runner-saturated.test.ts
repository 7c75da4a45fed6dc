import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import type { CapacityResult } from '../../src/capacity.js';
import type { Summary } from '../../src/report/summary.js';
import { cliPath, isolatedStateDir, writeExperiment } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

/**
 * The runner's open files limited to 512 once its cluster is up: the flood's one connection per
 * client fills them past 90 %. Node raises its own soft limit to the hard one when it starts
 * (as Go does for etcd and kube-apiserver), so the hard limit is what binds, and it is set on
 * the runner alone with prlimit, after the control plane it started has its own.
 */
const fileLimit = 512;

const flood = (clients: number) => `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: starved
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 20
    qps: 0
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: configmaps
    clients: ${clients}
    resourceVersion: "0"
    duration: 8s
observe: 2s
hypotheses:
  - name: configmap LISTs within 1ms
    metric: cpchaos_client_request_duration_seconds
    labels: { verb: list, resource: configmaps, quantile: "0.99" }
    sumBy: false
    aggregate: max
    window: during
    comparator: "<"
    threshold: 1ms
`;

/** Once the runner's kube-apiserver runs (with a limit of its own), the runner alone gets `fileLimit`. */
async function limitWhenClusterUp(pid: number, done: () => boolean): Promise<boolean> {
  while (!done()) {
    const apiserver = await execa('pgrep', ['-P', String(pid), '-f', 'kube-apiserver'], { reject: false });
    if (apiserver.exitCode === 0) {
      await execa('prlimit', ['--pid', String(pid), `--nofile=${fileLimit}:${fileLimit}`]);
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function starvedCli(args: string[]) {
  const child = execa('node', [cliPath, ...args], { reject: false, all: true });
  let exited = false;
  const limited = limitWhenClusterUp(child.pid!, () => exited);
  const result = await child;
  exited = true;
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), all: String(result.all), limited: await limited };
}

test('a runner short of open files while the faults run is flagged in summary.json, the output and the deviated verdict; the search calls it inconclusive, not the control plane’s limit', async (t) => {
  const { dir, file } = await writeExperiment('starved', flood(440));
  const run = await starvedCli(['run', file, '--results', dir, '--run-id', 'starved']);
  t.true(run.limited, run.all);
  t.is(run.exitCode, 1, run.all);
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'starved', 'summary.json'), 'utf8')) as Summary;
  t.true(summary.runner?.saturated, JSON.stringify(summary.runner));
  t.regex(summary.runner!.reasons.join('; '), /\d+ % of the open-file limit in use \(over 90 %\)/);
  t.true(summary.runner!.openFilesShare! > 0.9 && summary.runner!.openFilesShare! <= 1, String(summary.runner!.openFilesShare));
  const [verdict] = summary.verdicts;
  t.is(verdict!.status, 'deviated');
  t.regex(verdict!.runnerSaturated ?? '', /^the runner was saturated while the faults ran \(.*\d+ % of the open-file limit in use/);
  t.regex(run.stdout, /^DEVIATED configmap LISTs within 1ms: .*, while the runner was saturated while the faults ran/m);
  t.regex(run.stdout, /^RUNNER {3}saturated while the faults ran: .*\d+ % of the open-file limit in use/m);

  const search = await starvedCli(['capacity', file, '--vary', 'faults[0].clients', '--from', '440', '--to', '880', '--results', path.join(dir, 'search')]);
  t.true(search.limited, search.all);
  const folder = (await fs.readdir(path.join(dir, 'search'))).find((f) => f.startsWith('capacity-'))!;
  const capacity = JSON.parse(await fs.readFile(path.join(dir, 'search', folder, 'capacity.json'), 'utf8')) as CapacityResult;
  t.is(capacity.limit, undefined, search.all);
  t.is(capacity.firstFailing, undefined, 'a value that failed with the runner saturated is no limit of the control plane');
  t.like(capacity.inconclusive, { value: 440 });
  t.deepEqual(
    capacity.trials.map((trial) => trial.value),
    [440],
    'the search stops there: above it nothing measured says anything of the control plane',
  );
  t.regex(search.stdout, /inconclusive/);
});
