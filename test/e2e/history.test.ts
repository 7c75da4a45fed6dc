import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { HistoryResult } from '../../src/history/history.js';
import { isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';
import { oomFloodExperiment } from '../helpers/oom-flood.js';
import { influxSkipReason, startInfluxd, type InfluxServer } from '../helpers/influxdb.js';

let results: string;
/** Where every run also goes, when Debian's influxd is here: history must read the same runs back from it. */
let influx: InfluxServer | undefined;

test.before(async () => {
  await isolatedStateDir();
  if (!influxSkipReason) influx = await startInfluxd();
});

test.after.always(async () => {
  await influx?.stop();
});

async function nightly(t: { log: (line: string) => void }, runId: string, limit: string): Promise<void> {
  const { file } = await writeExperiment('nightly', oomFloodExperiment('nightly', limit));
  const sink = influx ? ['--influxdb', `${influx.url}/history`] : [];
  const run = await runCli(['run', file, '--results', results, '--run-id', runId, ...sink]);
  t.log(`${runId} (${limit}): exit ${run.exitCode}`);
  if (run.exitCode !== 0 && limit !== '450Mi') throw new Error(`the baseline run ${runId} did not pass: ${run.all}`);
}

async function history(out: string, extra: string[] = [], from = [results]): Promise<{ exitCode: number | undefined; stdout: string; result: HistoryResult }> {
  const run = await runCli(['history', ...from, '--out', out, ...extra]);
  const text = await fs.readFile(path.join(out, 'history.json'), 'utf8').catch(() => undefined);
  if (!text) throw new Error(run.all);
  return { exitCode: run.exitCode, stdout: run.stdout, result: JSON.parse(text) as HistoryResult };
}

test.serial('history of four runs of one unchanged experiment: the fourth is judged, and noise is no regression (exit 0)', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-history-'));
  results = path.join(dir, 'results');
  for (const n of [1, 2, 3, 4]) await nightly(t, `night-${n}`, '4Gi');
  const { exitCode, stdout, result } = await history(path.join(dir, 'noise'));
  t.is(exitCode, 0, stdout);
  const [nightlyHistory, ...others] = result.histories;
  t.deepEqual(others, []);
  t.is(nightlyHistory!.entries.length, 4);
  t.deepEqual(nightlyHistory!.regressions, [], stdout);
  const memory = nightlyHistory!.figures.find((f) => f.name === 'apiserver-memory')!;
  t.truthy(memory.judged[3]!.baseline, 'the fourth run is judged against the three before it');
  t.log(`apiserver peak memory: ${memory.judged.map((j) => (j.value / 2 ** 20).toFixed(0)).join(', ')} MiB`);
  t.regex(stdout, /no open regression/);
});

test.serial(
  'a fifth run with the apiserver limited to 450Mi: OOM-killed, a regression that began at that run and names the changed limit (exit 1)',
  async (t) => {
    await nightly(t, 'night-5', '450Mi');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-history-'));
    const { exitCode, stdout, result } = await history(dir);
    t.is(exitCode, 1, stdout);
    const regressions = result.histories[0]!.regressions;
    const byFigure = Object.fromEntries(regressions.map((r) => [r.figure, r]));
    for (const figure of ['oom-kills', 'verdict:apiserver not OOM-killed']) {
      t.like(byFigure[figure], { beganAt: 'night-5', open: true }, stdout);
      t.deepEqual(byFigure[figure]!.changes, ['cluster.memoryLimits.apiserver: "4Gi" → "450Mi"']);
    }
    t.regex(
      stdout,
      /\*\*REGRESSION\*\* OOM kills: 1 against a baseline mean of 0, since run 5 `night-5`, still at the latest\. Changed there: cluster\.memoryLimits\.apiserver: "4Gi" → "450Mi"\./,
    );
    const html = await fs.readFile(path.join(dir, 'history.html'), 'utf8');
    t.regex(html, /"text":"Kubernetes v1\.31\.\d+"/, 'the first run’s Kubernetes version is marked on the trend charts');
    t.regex(html, /"text":"cluster\.memoryLimits\.apiserver: \\"4Gi\\" → \\"450Mi\\""/, 'the change is marked where it happened');

    // The same runs read back from InfluxDB alone (summary, experiment and samples the sink wrote): the same figures and regressions.
    if (influx) {
      const fromInflux = await history(path.join(dir, 'influx'), ['--influxdb', `${influx.url}/history`], []);
      t.is(fromInflux.exitCode, 1, fromInflux.stdout);
      const figures = (r: HistoryResult) => r.histories[0]!.figures.map((f) => [f.name, f.judged.map((j) => [j.index, j.value, j.regressed])]);
      t.deepEqual(figures(fromInflux.result), figures(result));
      t.deepEqual(
        fromInflux.result.histories[0]!.regressions.map((r) => [r.figure, r.beganAt, r.changes]),
        regressions.map((r) => [r.figure, r.beganAt, r.changes]),
      );
    } else t.log(`not read back from InfluxDB: ${influxSkipReason}`);

    // The change accepted: a history that starts at the fifth run has nothing to compare it with.
    const accepted = await history(dir, ['--since', 'night-5']);
    t.is(accepted.exitCode, 0, accepted.stdout);
  },
);

test('history without runs to read, or with a false-alarm rate out of range: exit 2, one line', async (t) => {
  const nothing = await runCli(['history']);
  t.is(nothing.exitCode, 2);
  t.is(nothing.stderr.trim(), 'cpchaos: history needs run folders, a results root, or --influxdb');
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-history-'));
  t.teardown(() => fs.rm(empty, { recursive: true, force: true }));
  const none = await runCli(['history', empty]);
  t.is(none.exitCode, 2);
  t.is(none.stderr.trim(), `cpchaos: no run folders (with a summary.json) or capacity searches in ${empty}`);
  const badRate = await runCli(['history', empty, '--false-alarm-rate', '2']);
  t.is(badRate.exitCode, 2);
  t.regex(badRate.stderr, /--false-alarm-rate must lie between 0 and 0\.5/);
});
