import test from 'ava';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { ExperimentError, loadExperimentSource } from '../../../src/experiment/load.js';
import { UsageError } from '../../../src/errors.js';
import { catalog } from '../../../src/plugins.js';
import { expandVariants, setAt } from '../../../src/variants.js';

/**
 * No experiment file can crash or exhaust the runner: whatever the text, loading (and
 * expanding its variants) ends with the experiment or a usage error (exit 2), within
 * 2 s and a bounded amount of memory. fast-check generates the files.
 */
const valid = {
  apiVersion: 'cpchaos.io/v1alpha1',
  kind: 'Experiment',
  metadata: { name: 'fuzz' },
  seed: [{ kind: 'configmaps', count: 10, template: { metadata: { name: 'c-{{index}}' }, data: { a: 'b' } } }],
  agents: [{ type: 'kubelet', count: 2 }],
  faults: [{ type: 'list-flood', resource: 'configmaps', clients: 2 }],
  hypotheses: [{ name: 'h', metric: 'apiserver_request_total', aggregate: 'max', comparator: '<', threshold: '1Gi' }],
  variants: [{ name: 'v', set: { 'faults[0].clients': 3 } }],
};

const paths = [
  'apiVersion',
  'metadata',
  'metadata.name',
  'cluster',
  'cluster.provider',
  'cluster.memoryLimits',
  'cluster.featureGates',
  'seed',
  'seed[0]',
  'seed[0].count',
  'seed[0].kind',
  'seed[0].dataSize',
  'seed[0].namespaces',
  'seed[0].template',
  'seed[0].template.data',
  'seed[0].template.metadata',
  'seed[0].templateFile',
  'agents[0].count',
  'agents[0].rampUp',
  'faults',
  'faults[0]',
  'faults[0].type',
  'faults[0].clients',
  'faults[0].duration',
  'faults[0].at',
  'hypotheses',
  'hypotheses[0].threshold',
  'hypotheses[0].labels',
  'steadyState',
  'observe',
  'variants',
  'variants[0].set',
  'metrics',
  'metrics.influxdb',
  'metrics.interval',
];

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    1e12,
    -1,
    2 ** 53,
    1e308,
    0.5,
    '99999999h',
    '1e9ms',
    '999999Ti',
    '2GB',
    '',
    '-1s',
    '/dev/zero',
    '../../../../etc/passwd',
    '{{index}}'.repeat(1000),
  ),
  fc.string({ maxLength: 200 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 20 }),
  fc.constant({ 'faults[99999999].clients': 1 }),
);

const mutated = fc.tuple(fc.array(fc.tuple(fc.constantFrom(...paths), hostileValue), { minLength: 1, maxLength: 4 })).map(([edits]) => {
  let doc: unknown = structuredClone(valid);
  for (const [p, value] of edits) {
    try {
      doc = setAt(doc, p, value);
    } catch {
      // A path the edits before removed: leave it.
    }
  }
  return yaml.dump(doc, { noRefs: true, skipInvalid: true });
});

/** A billion laughs: `levels` anchors, each a list of `fanOut` aliases to the one before, used where the schema takes any value. */
const laughs = fc
  .tuple(
    fc.integer({ min: 2, max: 12 }),
    fc.integer({ min: 2, max: 10 }),
    fc.constantFrom('template: { metadata: { name: x }, spec: LOL }', 'template: { data: { a: b }, extra: [LOL, LOL] }'),
  )
  .map(([levels, fanOut, use]) => {
    const anchors = ['&l0 "lol"', ...Array.from({ length: levels }, (_, i) => `&l${i + 1} [${Array(fanOut).fill(`*l${i}`).join(', ')}]`)];
    // Each anchor is defined in a description of its own seed set, the last one used by the template of the final set.
    const sets = anchors.map((anchor, i) => `  - { kind: configmaps, name: s${i}, count: 1, template: { metadata: { name: s${i} }, spec: ${anchor} } }`);
    return [
      'apiVersion: cpchaos.io/v1alpha1',
      'kind: Experiment',
      'metadata: { name: laughs }',
      'seed:',
      ...sets,
      `  - { kind: configmaps, name: last, count: 1, ${use.replace(/LOL/g, `*l${levels}`)} }`,
      'hypotheses: [{ name: h, builtin: not-oom-killed }]',
    ].join('\n');
  });

const nesting = fc
  .integer({ min: 10, max: 200_000 })
  .map((depth) => `apiVersion: cpchaos.io/v1alpha1\nkind: Experiment\nmetadata: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);

const garbage = fc.string({
  unit: fc.constantFrom('&a ', '*a', '[', ']', '{', '}', ': ', '- ', '\n', '  ', '!!', 'x', '"', "'", '#', '|', '>', '<<: *a', '%TAG'),
  maxLength: 200,
});

async function outcome(text: string): Promise<{ ok: boolean; ms: number; heapMiB: number; error?: unknown }> {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  try {
    const loaded = await loadExperimentSource(text, 'fuzz.yaml', catalog);
    expandVariants(loaded);
    JSON.stringify(loaded.experiment);
    return { ok: true, ms: performance.now() - started, heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20 };
  } catch (error) {
    return { ok: false, ms: performance.now() - started, heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20, error };
  }
}

const property = (arbitrary: fc.Arbitrary<string>) =>
  fc.asyncProperty(arbitrary, async (text) => {
    const result = await outcome(text);
    if (!result.ok && !(result.error instanceof ExperimentError) && !(result.error instanceof UsageError)) throw result.error;
    // A guard against runaway parsing (an unbounded alias expansion takes minutes), not a speed goal: the machine is shared.
    if (result.ms > 10_000) throw new Error(`took ${result.ms.toFixed(0)} ms`);
    if (result.heapMiB > 256) throw new Error(`grew the heap by ${result.heapMiB.toFixed(0)} MiB`);
  });

test('mutations of a valid experiment: exit 0 or 2, fast, bounded', async (t) => {
  await fc.assert(property(mutated), { numRuns: 2000 });
  t.pass();
});

test('billion laughs, deep nesting and YAML garbage: exit 2, fast, bounded', async (t) => {
  await fc.assert(property(laughs), { numRuns: 100 });
  await fc.assert(property(nesting), { numRuns: 30 });
  await fc.assert(property(garbage), { numRuns: 1000 });
  t.pass();
});

test('what the bounds say: aliases, sizes, durations, counts, templates, files', async (t) => {
  const problems = async (text: string) => ((await outcome(text)).error as ExperimentError | undefined)?.problems ?? [];
  const base = yaml.dump(valid);
  const lol = ['l0: &l0 "lol"', ...Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`)].join('\n');
  t.regex((await problems(`${base}${lol}\n`))[0] ?? '', /fuzz\.yaml:1:1: \(document\): the document expands to more than 200000 values \(YAML aliases\?\)/);
  t.regex((await problems(base.replace('count: 10', 'count: 10000000'))).join('\n'), /seed\[0\]\.count: expected a number <= 1000000/);
  t.regex((await problems(`${base}observe: 9999h\n`)).join('\n'), /observe: expected at most 168h, got "9999h"/);
  t.regex((await problems(`${base}agentHandshakesInFlight: -1\n`)).join('\n'), /fuzz\.yaml:\d+:\d+: agentHandshakesInFlight: expected a number >= 0/);
  t.deepEqual(await problems(`${base}agentHandshakesInFlight: 0\n`), []);
  t.regex((await problems(base.replace('count: 10', 'count: 10\n    dataSize: 2Mi'))).join('\n'), /seed\[0\]\.dataSize: at most 1Mi/);
  t.regex((await problems(base.replace('a: b', 'a: 1'))).join('\n'), /seed\[0\]\.template\.data\.a: data values are strings/);
  t.regex(
    (await problems(base.replace(/template:[\s\S]*?(?=agents:)/, 'templateFile: /dev/zero\n'))).join('\n'),
    /seed\[0\]\.templateFile: \/dev\/zero: not a regular file/,
  );
});

test('onAgentNodes binds pods only, and only to agents the experiment declares', async (t) => {
  const problems = async (experiment: object) => ((await outcome(yaml.dump(experiment))).error as ExperimentError | undefined)?.problems ?? [];
  const pods = { kind: 'pods', count: 10, onAgentNodes: true };
  t.deepEqual(await problems({ ...valid, seed: [pods] }), []);
  t.regex((await problems({ ...valid, seed: [{ ...valid.seed[0], onAgentNodes: true }] })).join('\n'), /seed\[0\]\.onAgentNodes: only pods are bound to nodes/);
  t.regex((await problems({ ...valid, agents: [], seed: [pods] })).join('\n'), /seed\[0\]\.onAgentNodes: no agents/);
});
