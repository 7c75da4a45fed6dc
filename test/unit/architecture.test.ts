import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { loadExperiment } from '../../src/experiment/load.js';
import { builtinPlugins, catalog } from '../../src/plugins.js';
import { fixtureCatalog } from '../fixtures/plugins/index.js';
import { repoRoot } from '../helpers/cluster.js';

const shapes = ['FaultPlugin', 'ProviderPlugin', 'HypothesisPlugin', 'SinkPlugin', 'ScraperPlugin', 'AgentKindPlugin'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

test('every plugin in src/ is listed in the composition root, and only there', async (t) => {
  const root = await fs.readFile(path.join(repoRoot, 'src', 'plugins.ts'), 'utf8');
  const declaring: string[] = [];
  for (const file of await sourceFiles(path.join(repoRoot, 'src'))) {
    const text = await fs.readFile(file, 'utf8');
    if (!new RegExp(`^export const \\w+(: (${shapes.join('|')})\\b| = defineFault\\()`, 'm').test(text)) continue;
    const relative = `./${path.relative(path.join(repoRoot, 'src'), file).replace(/\.ts$/, '.js')}`;
    declaring.push(relative);
    t.true(root.includes(`from '${relative}'`), `${relative} declares a plugin that src/plugins.ts does not list`);
  }
  // One plugin per file: as many declaring files as plugins listed.
  t.is(declaring.length, Object.values(builtinPlugins).flat().length, `plugin files: ${declaring.join(', ')}`);
});

test('one file plus one line: the fixture root adds a provider, fault, hypothesis and agent kind the schema then accepts', async (t) => {
  const dir = await fs.mkdtemp(path.join(process.env.TMPDIR ?? '/tmp', 'cpchaos-unit-arch-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'fixture.yaml');
  await fs.writeFile(
    file,
    `apiVersion: cpchaos.io/v1alpha1
kind: Experiment
metadata: { name: fixture }
cluster: { provider: fake }
agents: [{ type: configmap-watcher, count: 2 }]
faults: [{ type: outage, for: 1s }]
hypotheses: [{ name: ended, builtin: faults-ended }]
`,
  );
  await t.notThrowsAsync(loadExperiment(file, fixtureCatalog));
  const error = await t.throwsAsync(loadExperiment(file, catalog));
  for (const place of ['cluster.provider', 'agents[0].type', 'faults[0].type', 'hypotheses[0].builtin'])
    t.true(error!.message.includes(place), `${place} is refused without the fixture plugins`);
});
