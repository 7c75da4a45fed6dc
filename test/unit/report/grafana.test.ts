import fs from 'node:fs/promises';
import test from 'ava';
import { dashboardFile, dashboardText } from '../../../src/docs.js';
import { dashboardPanels } from '../../../src/report/grafana.js';

test('dashboards/grafana-influxdb.json is the dashboard the code describes (npm run docs writes it)', async (t) => {
  t.is(await fs.readFile(dashboardFile, 'utf8'), dashboardText());
});

test('every panel query is limited to the chosen experiment, run and time range, and groups by time', (t) => {
  for (const target of dashboardPanels().flatMap((p) => p.targets)) {
    t.regex(target.query, /"experiment" =~ \/\^\$experiment\$\/ AND "run_id" =~ \/\^\$run\$\/ AND \$timeFilter/);
    t.regex(target.query, /GROUP BY time\(\$__interval\)/);
    for (const tag of target.groupBy) t.true(target.query.includes(`"${tag}"`));
  }
});
