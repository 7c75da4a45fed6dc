import fs from 'node:fs/promises';
import test from 'ava';
import { Type } from '@sinclair/typebox';
import { Default, Duration } from '../../../src/experiment/schema-parts.js';
import { keyTable, updateKeyTables } from '../../../src/experiment/key-tables.js';
import { faultSchema } from '../../../src/faults/types.js';
import { faultSchemas, faultsDoc } from '../../../src/docs.js';

test('a key table shows type, default and meaning from the schema, not the common keys', (t) => {
  const schema = faultSchema('x', {
    clients: Default(Type.Integer({ minimum: 1, description: 'how many' }), 10),
    for: Duration('how long'),
    mode: Type.Union([Type.Literal('a'), Type.Literal('b')]),
  });
  t.is(
    keyTable(schema),
    [
      '| key | type | default | meaning |',
      '|---|---|---|---|',
      '| `clients` | integer 1.. | `10` | how many |',
      '| `for` | duration | required | how long |',
      '| `mode` | `"a"` \\| `"b"` | required |  |',
    ].join('\n'),
  );
});

test('docs/faults.md has the key table of every fault, in step with the schemas (npm run docs)', async (t) => {
  const committed = await fs.readFile(faultsDoc, 'utf8');
  t.is(committed, updateKeyTables(committed, faultSchemas()), 'run `npm run docs` after changing a fault schema');
  for (const type of faultSchemas().keys()) t.true(committed.includes(`<!-- keys ${type}:`), `docs/faults.md has no key table for ${type}`);
  t.throws(() => updateKeyTables('<!-- keys nothing -->\n<!-- /keys -->', faultSchemas()), { message: /no such plugin/ });
});
