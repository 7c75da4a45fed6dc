/* eslint-disable no-control-regex -- a terminal status line is made of escape sequences */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { execa } from 'execa';
import { createRunOutput, type OutputMode } from '../../src/ui/run-output.js';
import { cliPath, isolatedStateDir, runCli, writeExperiment } from '../helpers/cluster.js';

test.before(async () => {
  await isolatedStateDir();
});

function capture(mode: OutputMode, isTTY: boolean) {
  const stderr = Object.assign(new PassThrough(), { isTTY, columns: 200 }) as unknown as NodeJS.WriteStream;
  const stdout = new PassThrough();
  let err = '';
  let out = '';
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const output = createRunOutput(mode, { stderr, stdout }, 0);
  return { output, err: () => err, out: () => out };
}

const phase = (name: string) => ({ t: Date.UTC(2026, 10, 23, 12, 0, 0), type: 'phase', message: name, phase: name });

test('a terminal gets a status line redrawn in place, with events printed above it', (t) => {
  const { output, err, out } = capture('tty', true);
  output.event(phase('seed'));
  const seeding = output.progress('seed pods');
  seeding.update('150/300 (300/s)');
  output.gauges('apiserver 300.0 MiB | in flight 12 | 429/s 0.0');
  output.event({ t: Date.UTC(2026, 10, 23, 12, 0, 5), type: 'oom-kill', component: 'apiserver', message: 'apiserver' });
  const text = err();
  t.regex(
    text,
    /\r\x1b\[K12:00:05 oom-kill: apiserver\n\r\x1b\[Kseed \d+ms \| seed pods 150\/300 \(300\/s\) \| apiserver 300\.0 MiB \| in flight 12 \| 429\/s 0\.0$/,
  );
  seeding.done('300 created');
  t.regex(err(), /seed pods: 300 created\n/);
  output.close();
  t.true(err().endsWith('\r\x1b[K'), 'the status line is wiped at the end');
  t.is(out(), '');
});

test('off a terminal: timestamped lines, gauges as lines of their own, no control characters', (t) => {
  const { output, err } = capture('plain', false);
  output.event(phase('inject'));
  output.gauges('apiserver 1.0 GiB | in flight 40');
  output.event({ t: Date.now(), type: 'fault-start', message: 'list-flood#0' });
  output.close();
  const lines = err().trimEnd().split('\n');
  t.is(lines.length, 3);
  for (const line of lines) t.regex(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S/);
  t.regex(lines[1]!, /inject: apiserver 1\.0 GiB \| in flight 40$/);
  t.false(err().includes('\r') || err().includes('\x1b'));
});

test('--json mode writes events as JSON lines on stdout and nothing on stderr; quiet writes nothing', (t) => {
  const json = capture('json', true);
  json.output.event(phase('seed'));
  json.output.gauges('apiserver 1 GiB');
  json.output.line('a line for people');
  json.output.close();
  t.deepEqual(
    json
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string })
      .map((e) => e.type),
    ['phase'],
  );
  t.is(json.err(), '');
  const quiet = capture('quiet', true);
  quiet.output.event(phase('seed'));
  quiet.output.line('x');
  quiet.output.close();
  t.is(quiet.err() + quiet.out(), '');
});

const tiny = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: live
cluster:
  etcdUnsafeNoFsync: true
seed:
  - kind: configmaps
    count: 300
    qps: 150
steadyState:
  duration: 2s
faults:
  - type: list-flood
    resource: configmaps
    clients: 2
    duration: 2s
observe: 3s
hypotheses:
  - name: apiserver not OOM-killed
    builtin: not-oom-killed
`;

test('cpchaos run --json: stdout is JSON lines, events in order, then the result', async (t) => {
  const { dir, file } = await writeExperiment('live-json', tiny);
  const result = await runCli(['run', file, '--results', dir, '--run-id', 'json', '--json']);
  t.is(result.exitCode, 0, result.all);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; t?: number; status?: string; verdicts?: unknown[] });
  const last = lines.pop()!;
  t.like(last, { type: 'result', status: 'passed', exitCode: 0 });
  t.is(last.verdicts?.length, 1);
  const phases = lines.filter((e) => e.type === 'phase').map((e) => (e as { phase?: string }).phase);
  t.deepEqual(phases.filter(Boolean), ['provision', 'seed', 'steady-state', 'inject', 'observe', 'recover', 'verify', 'teardown']);
  const times = lines.map((e) => e.t!);
  t.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  // The same events as the file.
  const recorded = (await fs.readFile(path.join(dir, 'json', 'events.ndjson'), 'utf8')).trim().split('\n').length;
  t.is(lines.length, recorded);
  t.false(/\d{4}-\d\d-\d\dT.* phase: /.test(result.stderr), 'no human lines on stderr');
});

test('cpchaos run on a real terminal shows the phase, seeding progress and gauges on a live line', async (t) => {
  const { dir, file } = await writeExperiment('live-tty', tiny);
  // script(1) gives the run a pseudo-terminal, as a person's shell would.
  const command = [process.execPath, cliPath, 'run', file, '--results', dir, '--run-id', 'tty'].map((a) => `'${a}'`).join(' ');
  const result = await execa('script', ['-qfec', command, '/dev/null'], { reject: false, env: { COLUMNS: '200' } });
  t.is(result.exitCode, 0, result.stdout);
  const text = result.stdout;
  t.true(text.includes('\r\x1b[K'), 'redrawn in place');
  t.regex(text, /\r\x1b\[Kseed \d+(ms|\.\ds|s)[^\r\n]*seed configmaps \d+\/300/, 'seeding progress on the status line');
  t.regex(
    text,
    /\r\x1b\[K(inject|observe) [^\r\n]*apiserver \d+(\.\d)? MiB \| etcd \d+(\.\d)? MiB \| in flight \d+ \| 429\/s \d+\.\d/,
    'gauges on the status line',
  );
  t.regex(text, /\d\d:\d\d:\d\d fault-start: list-flood#0/, 'events as they happen');
  t.regex(text, /held +apiserver not OOM-killed/);
});
