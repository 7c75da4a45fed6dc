import fs from 'node:fs/promises';
import test from 'ava';
import { binariesDoc } from '../../../src/docs.js';
import { updateVersionTable, versionTable } from '../../../src/binaries/version-table.js';

test('docs/binaries.md has the version table the code describes (npm run docs writes it)', async (t) => {
  const text = await fs.readFile(binariesDoc, 'utf8');
  t.true(text.includes('<!-- versions'), 'the page has the block');
  t.is(updateVersionTable(text), text);
});

test('the table has a column per supported minor and says when a gate went', (t) => {
  const table = versionTable();
  t.true(table.startsWith('| | 1.31 | 1.32 | 1.33 | 1.34 | 1.35 | 1.36 | 1.37 |'));
  t.regex(table, /\| `ConsistentListFromCache` \| beta, on \| beta, on \| beta, on \| GA, locked on \| GA, locked on \| GA, locked on \| removed \|/);
  t.regex(table, /\| etcd \| v3\.5\.14 \|.* \| v3\.7\.0 \|/);
});
