import path from 'node:path';
import test from 'ava';
import { isolatedStateDir, runExperimentText } from '../helpers/cluster.js';
import { oomFloodExperiment } from '../helpers/oom-flood.js';
import { embeddedReportData } from '../helpers/report.js';

test.before(async () => {
  await isolatedStateDir();
});

test('a tight memory limit plus a quorum list-flood: the apiserver is OOM-killed and the run says so (exit 1)', async (t) => {
  const { result, summary, runDir } = await runExperimentText('oom', oomFloodExperiment('oom', '450Mi'));
  t.is(result.exitCode, 1, result.all);
  t.like(
    summary.verdicts.find((v) => v.name === 'apiserver not OOM-killed'),
    { status: 'deviated' },
  );
  t.true(summary.events.oomKills >= 1);
  t.true(summary.events.restarts >= 1, 'restarted like a static pod');
  t.regex(result.stdout, /DEVIATED apiserver not OOM-killed: [1-9]\d* OOM kill\(s\)/);
  // The report marks the kill on its time axis, inside the run.
  const report = await embeddedReportData(path.join(runDir, 'report.html'));
  const kills = report.runs[0]!.marks.oomKills;
  t.true(kills.length >= 1 && kills.every((k) => k.component === 'apiserver'), JSON.stringify(kills));
  const memory = report.charts.find((c) => c.id === 'memory-apiserver')!;
  const lastSample = Math.max(...memory.series[0]!.points.map(([x]) => x));
  t.true(kills[0]!.at >= 0 && kills[0]!.at <= lastSample, `OOM kill at ${kills[0]!.at}s, inside the recorded run`);
});
