import test from 'ava';
import { crds } from '../../../../src/load/objects/crds.js';
import { providerSchema } from '../../../../src/load/objects/provider-crd-schema.js';

/** Levels of nesting and properties, counted as for the measured model (properties, items and additionalProperties each a level). */
function shape(node: unknown, depth = 0): { depth: number; properties: number } {
  let result = { depth, properties: 0 };
  if (!node || typeof node !== 'object') return result;
  const schema = node as { properties?: Record<string, unknown>; items?: unknown; additionalProperties?: unknown };
  const children = [...Object.values(schema.properties ?? {}), schema.items, schema.additionalProperties].filter((c) => c && typeof c === 'object');
  result.properties += Object.keys(schema.properties ?? {}).length;
  for (const child of children) {
    const inner = shape(child, depth + 1);
    result = { depth: Math.max(result.depth, inner.depth), properties: result.properties + inner.properties };
  }
  return result;
}

const within5 = (value: number, target: number) => Math.abs(value - target) / target <= 0.05;

test('the provider schema is within 5 % of the measured model: 104,787 bytes, 514 properties, 7 levels', (t) => {
  const schema = providerSchema();
  const bytes = JSON.stringify(schema).length;
  const { depth, properties } = shape(schema);
  t.true(within5(bytes, 104_787), `${bytes} bytes`);
  t.true(within5(properties, 514), `${properties} properties`);
  t.is(depth, 7);
});

test('a provider-shaped CRD serves two versions of the schema, one stored; the small shape stays small', (t) => {
  const set = { kind: 'crds' as const, name: 'big', count: 1 };
  const provider = crds.build({ set: { ...set, crdSchema: 'provider' }, index: 3 }) as unknown as { spec: { versions: { name: string; storage: boolean }[] } };
  t.deepEqual(
    provider.spec.versions.map((v) => [v.name, v.storage]),
    [
      ['v1beta1', false],
      ['v1', true],
    ],
  );
  t.true(JSON.stringify(provider).length > 2 * 100_000);
  t.true(JSON.stringify(crds.build({ set, index: 3 })).length < 2_000);
});
