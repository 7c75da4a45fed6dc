import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { experimentJsonSchema } from '../../src/experiment/json-schema.js';
import { catalog } from '../../src/plugins.js';
import { expandVariants } from '../../src/variants.js';
import { ExperimentError, loadExperiment } from '../../src/experiment/load.js';
import { locate, parseWithPositions } from '../../src/experiment/positions.js';
import { repoRoot, runCli } from '../helpers/cluster.js';

const valid = `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata:
  name: v
seed:
  - kind: configmaps
    count: 10
faults:
  - type: list-flood
    resource: configmaps
hypotheses:
  - name: no oom
    builtin: not-oom-killed
`;

let dir: string;
test.before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-validate-'));
});

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

const cases: [string, string, string[]][] = [
  ['malformed YAML', 'apiVersion: cpchaos.io/v1alpha1\nseed: [1,\n', [':3:1: invalid YAML: unexpected end of the stream within a flow collection']],
  [
    'unknown key, with a suggestion',
    valid.replace('    count: 10', '    count: 10\n    concurency: 5'),
    [':8:5: seed[0].concurency: unknown key "concurency" (did you mean "concurrency"?)'],
  ],
  [
    'bad unit',
    valid.replace('    count: 10', '    count: 10\n    dataSize: 2GB'),
    [':8:15: seed[0].dataSize: expected a size such as 512Mi, 2Gi or 10Ki (not 2GB), got "2GB"'],
  ],
  ['negative count', valid.replace('count: 10', 'count: -3'), [':7:12: seed[0].count: expected a number >= 0, got -3']],
  ['missing required field', valid.replace('  - name: no oom\n    builtin', '  - builtin'), [':12:5: hypotheses[0]: missing required key "name"']],
  [
    'unknown fault type',
    valid.replace('type: list-flood', 'type: kill-everything'),
    [`:9:11: faults[0].type: expected one of ${[...catalog.faults.keys()].join(', ')}, got "kill-everything"`],
  ],
  [
    'bad fault parameter',
    valid.replace('    resource: configmaps', '    resource: configmaps\n    clients: 0'),
    [':11:14: faults[0].clients: expected a number >= 1, got 0'],
  ],
  [
    'bad duration',
    valid.replace('hypotheses:', 'observe: 5 minutes\nhypotheses:'),
    [':11:10: observe: expected a duration such as 500ms, 30s, 5m or 1m30s, got "5 minutes"'],
  ],
  [
    'credentials for InfluxDB: refused, and the password is not echoed',
    valid.replace('hypotheses:', 'metrics:\n  influxdb:\n    url: http://me:hunter2@influx:8086\n    database: db\n    password: hunter2\nhypotheses:'),
    [
      ':13:10: metrics.influxdb.url: "http://me:***@influx:8086" does not match ^https?://[^/@]+(:\\d+)?/?$',
      ':15:5: metrics.influxdb.password: unknown key "password" (allowed: url, database, username, passwordEnv, batchSize, maxBuffer)',
    ],
  ],
  [
    'reference to a missing seed set',
    valid.replace('  - type: list-flood\n    resource: configmaps', '  - type: delete-objects\n    set: nothing'),
    [':10:10: faults[0].set: no seed set named "nothing"'],
  ],
  [
    'several problems, one line each, in file order',
    valid.replace('count: 10', 'count: -1').replace('  name: v', '  name: v\n  owner: me'),
    [':5:3: metadata.owner: unknown key "owner" (allowed: name, description)', ':8:12: seed[0].count: expected a number >= 0, got -1'],
  ],
];

for (const [title, text, expected] of cases) {
  test(`validate: ${title}`, async (t) => {
    const file = await write(`${title.replace(/\W+/g, '-')}.yaml`, text);
    const error = await t.throwsAsync(loadExperiment(file, catalog), { instanceOf: ExperimentError });
    t.deepEqual(
      error.problems,
      expected.map((line) => `${file}${line}`),
    );
  });
}

test('cpchaos validate and cpchaos run: exit 2, one line per problem, no stack trace', async (t) => {
  const file = await write('cli.yaml', valid.replace('count: 10', 'count: -3'));
  for (const command of ['validate', 'run']) {
    const result = await runCli([command, file]);
    t.is(result.exitCode, 2, result.all);
    t.is(result.stderr.trim(), `${file}:7:12: seed[0].count: expected a number >= 0, got -3`);
  }
});

test('cpchaos validate: counts past the documented limits are warnings at file:line:column, and the file is still valid (exit 0)', async (t) => {
  const file = await write('big.yaml', valid.replace('kind: configmaps\n    count: 10', 'kind: pods\n    count: 3500'));
  const result = await runCli(['validate', file]);
  t.is(result.exitCode, 0, result.all);
  t.deepEqual(result.stderr.trim().split('\n'), [
    `${file}:7:12: warning: seed[0].count: 3,500 pods per namespace is past 3,000, the documented limit (sig-scalability thresholds.md), past which the SLOs are not promised`,
    `${file}: ok`,
  ]);
});

test('the experiments in the repository are valid', async (t) => {
  const folder = path.join(repoRoot, 'experiments');
  const files = (await fs.readdir(folder)).filter((f) => f.endsWith('.yaml'));
  t.true(files.length > 0);
  for (const file of files) await t.notThrowsAsync(async () => expandVariants(await loadExperiment(path.join(folder, file), catalog)), file);
});

test('experiments/schema.json is the schema the code validates with', async (t) => {
  const committed = await fs.readFile(path.join(repoRoot, 'experiments', 'schema.json'), 'utf8');
  t.is(committed, experimentJsonSchema(catalog.schema), 'run `npm run schema` after changing the experiment types');
});

test('positions: flow mappings inside block sequences and nested keys', (t) => {
  const { root } = parseWithPositions('a:\n  - {x: 1, y: [2, 3]}\n  - z: 4\n    w: 5\n', 'inline');
  t.deepEqual(locate(root, ['a', 0, 'y', 1]), { line: 2, column: 19 });
  t.deepEqual(locate(root, ['a', 1, 'w']), { line: 4, column: 8 });
  t.deepEqual(locate(root, ['a', 1, 'w'], true), { line: 4, column: 5 });
  t.deepEqual(locate(root, ['a', 5, 'nothing']), { line: 1, column: 1 }, 'a missing path falls back to the deepest existing node');
});
