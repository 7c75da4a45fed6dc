import fs from 'node:fs/promises';
import path from 'node:path';
import { updateVersionTable } from './binaries/version-table.js';
import { updateKeyTables } from './experiment/key-tables.js';
import { catalog } from './plugins.js';
import { grafanaDashboard } from './report/grafana.js';

/** `npm run docs`: the key tables of docs/faults.md, generated from each fault's schema, the version table of docs/binaries.md, and the Grafana dashboard. */
export const faultsDoc = path.join(import.meta.dirname, '..', '..', 'docs', 'faults.md');
export const binariesDoc = path.join(import.meta.dirname, '..', '..', 'docs', 'binaries.md');
export const dashboardFile = path.join(import.meta.dirname, '..', '..', 'dashboards', 'grafana-influxdb.json');

export function dashboardText(): string {
  return `${JSON.stringify(grafanaDashboard(), null, 2)}\n`;
}

export function faultSchemas(): Map<string, (typeof catalog.plugins.faults)[number]['schema']> {
  return new Map(catalog.plugins.faults.map((f) => [f.type, f.schema]));
}

if (process.argv[1] === import.meta.filename) {
  const text = await fs.readFile(faultsDoc, 'utf8');
  const updated = updateKeyTables(text, faultSchemas());
  await fs.writeFile(faultsDoc, updated);
  process.stderr.write(updated === text ? 'docs/faults.md: already in step\n' : 'docs/faults.md: key tables updated\n');
  const binaries = await fs.readFile(binariesDoc, 'utf8');
  const withTable = updateVersionTable(binaries);
  await fs.writeFile(binariesDoc, withTable);
  process.stderr.write(`docs/binaries.md: ${withTable === binaries ? 'already in step' : 'version table updated'}\n`);
  await fs.mkdir(path.dirname(dashboardFile), { recursive: true });
  await fs.writeFile(dashboardFile, dashboardText());
  process.stderr.write('dashboards/grafana-influxdb.json: written\n');
}
