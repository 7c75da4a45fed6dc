import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ndjsonSink } from '../../../../src/metrics/sinks/ndjson.js';

test('one JSON line per sample and event, appended; the count goes into the summary', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-unit-ndjson-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const sink = ndjsonSink.create({
    runId: 'r',
    dir,
    experiment: { apiVersion: 'cpchaos.io/v1alpha1', kind: 'Experiment', metadata: { name: 'x' }, hypotheses: [] },
    config: undefined,
    log: () => undefined,
  })!;
  sink.writeSamples([
    { t: 1, metric: 'm', labels: { a: 'b' }, value: 2 },
    { t: 2, metric: 'm', labels: {}, value: 3 },
  ]);
  sink.writeSamples([]);
  sink.writeEvent({ t: 3, type: 'phase', message: 'seed', phase: 'seed' });
  await sink.close();
  const samples = (await fs.readFile(path.join(dir, 'metrics.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  t.deepEqual(samples, [
    { t: 1, metric: 'm', labels: { a: 'b' }, value: 2 },
    { t: 2, metric: 'm', labels: {}, value: 3 },
  ]);
  t.deepEqual(JSON.parse(await fs.readFile(path.join(dir, 'events.ndjson'), 'utf8')), { t: 3, type: 'phase', message: 'seed', phase: 'seed' });
  t.deepEqual(sink.summary?.(), { samplesRecorded: 2 });
});
