import test from 'ava';
import { createCatalog } from '../../../src/core/catalog.js';
import { builtinPlugins, catalog } from '../../../src/plugins.js';

test('the schema allows exactly the listed plugins', (t) => {
  const base = {
    apiVersion: 'cpchaos.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name: 'x' },
    hypotheses: [{ name: 'h', builtin: 'ready-within', within: '1s' }],
  };
  t.deepEqual(catalog.schemaProblems(base), []);
  t.deepEqual(
    catalog.schemaProblems({ ...base, cluster: { provider: 'fake' } }).map((p) => p.path),
    [['cluster', 'provider']],
  );
  const withoutKind = createCatalog({ ...builtinPlugins, providers: builtinPlugins.providers.filter((p) => p.name !== 'kind') });
  t.deepEqual(
    withoutKind.schemaProblems({ ...base, cluster: { provider: 'kind' } }).map((p) => p.path),
    [['cluster', 'provider']],
  );
});

test('two plugins of a kind may not share a name', (t) => {
  t.throws(() => createCatalog({ ...builtinPlugins, faults: [...builtinPlugins.faults, builtinPlugins.faults[0]!] }), {
    message: /two fault plugins are named "list-flood"/,
  });
});

test('capabilities, not names, decide where a fault runs', (t) => {
  t.deepEqual(
    catalog.providersWith(['processes']).map((p) => p.name),
    ['local', 'kind'],
  );
  t.deepEqual(
    catalog.providersWith(['node-containers']).map((p) => p.name),
    ['kind'],
  );
  t.deepEqual(
    catalog.providersWith(undefined).map((p) => p.name),
    ['local', 'kind', 'existing'],
  );
});
