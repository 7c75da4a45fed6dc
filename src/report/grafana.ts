/**
 * A Grafana dashboard for what the InfluxDB sink writes (one measurement per metric,
 * the value in field `value`, tags run_id, experiment, variant and the labels): the
 * panels of report.html, with variables for the experiment and the run, and the
 * run's events as annotations. `npm run docs` writes it to dashboards/; a test runs
 * every query against a real influxd holding a run.
 */

export interface PanelTarget {
  refId: string;
  /** The measurement the query reads, and the tags it keeps series apart by: what a test checks the answer against. */
  measurement: string;
  where: Record<string, string>;
  groupBy: string[];
  /** mean: the samples as they are; rate: per second, from a counter. */
  shape: 'mean' | 'rate';
  /** Samples at or above this are left out ("no limit" is recorded as the largest cgroup value). */
  below?: number;
  alias: string;
  query: string;
}

export interface Panel {
  title: string;
  unit: string;
  targets: PanelTarget[];
}

/** Restricts a query to the chosen experiment, run and time range. */
const runFilter = `"experiment" =~ /^$experiment$/ AND "run_id" =~ /^$run$/ AND $timeFilter`;

function target(
  refId: string,
  measurement: string,
  shape: PanelTarget['shape'],
  alias: string,
  options: { where?: Record<string, string>; groupBy?: string[]; below?: number } = {},
): PanelTarget {
  const where = options.where ?? {};
  const groupBy = options.groupBy ?? [];
  const tagFilter =
    Object.entries(where)
      .map(([tag, value]) => `"${tag}" = '${value}' AND `)
      .join('') + (options.below ? `"value" < ${options.below} AND ` : '');
  const select = shape === 'rate' ? 'non_negative_derivative(sum("value"), 1s)' : 'mean("value")';
  const groups = ['time($__interval)', ...groupBy.map((tag) => `"${tag}"`)].join(', ');
  return {
    refId,
    measurement,
    where,
    groupBy,
    shape,
    alias,
    ...(options.below ? { below: options.below } : {}),
    query: `SELECT ${select} FROM "${measurement}" WHERE ${tagFilter}${runFilter} GROUP BY ${groups} fill(none)`,
  };
}

function memoryPanel(component: string): Panel {
  const where = { component };
  return {
    title: `${component} memory`,
    unit: 'bytes',
    targets: [
      target('A', 'cpchaos_process_resident_memory_bytes', 'mean', 'RSS', { where }),
      target('B', 'cpchaos_cgroup_memory_usage_bytes', 'mean', 'cgroup usage', { where }),
      target('C', 'cpchaos_cgroup_memory_limit_bytes', 'mean', 'cgroup limit', { where, below: 2 ** 62 }),
    ],
  };
}

/** The panels of report.html, in its order (its per-hypothesis charts depend on the experiment and stay in the report). */
export function dashboardPanels(): Panel[] {
  return [
    memoryPanel('apiserver'),
    memoryPanel('etcd'),
    {
      title: 'request latency (runner side)',
      unit: 's',
      targets: [
        target('A', 'cpchaos_client_request_duration_seconds', 'mean', '$tag_verb $tag_resource p99', {
          where: { quantile: '0.99' },
          groupBy: ['verb', 'resource'],
        }),
        target('B', 'cpchaos_fleet_relist_duration_seconds', 'mean', '$tag_agent relist p99', { where: { quantile: '0.99' }, groupBy: ['agent'] }),
      ],
    },
    {
      title: 'requests in flight and in queue',
      unit: 'short',
      targets: [
        target('A', 'apiserver_current_inflight_requests', 'mean', 'in flight ($tag_request_kind)', { groupBy: ['request_kind'] }),
        target('B', 'apiserver_flowcontrol_current_inqueue_requests', 'mean', 'in queue ($tag_priority_level)', { groupBy: ['priority_level'] }),
      ],
    },
    {
      title: '429s per second',
      unit: 'reqps',
      targets: [
        target('A', 'cpchaos_client_429_total', 'rate', 'runner 429/s'),
        target('B', 'apiserver_flowcontrol_rejected_requests_total', 'rate', 'APF rejected/s ($tag_reason)', { groupBy: ['reason'] }),
      ],
    },
    {
      title: 'agent relists per second',
      unit: 'reqps',
      targets: [target('A', 'cpchaos_fleet_relists_total', 'rate', '$tag_agent relists/s', { groupBy: ['agent'] })],
    },
    {
      title: 'agent watches open',
      unit: 'short',
      targets: [target('A', 'cpchaos_fleet_open_watches', 'mean', '$tag_agent open watches', { groupBy: ['agent'] })],
    },
    ...runnerPanels(),
  ];
}

/** cpchaos itself, as a component: a limit found while these were saturated is the runner's, not the control plane's. */
function runnerPanels(): Panel[] {
  const where = { component: 'runner' };
  return [
    {
      title: 'runner CPU (cores)',
      unit: 'short',
      targets: [target('A', 'cpchaos_process_cpu_seconds_total', 'rate', 'runner CPU (cores)', { where })],
    },
    { title: 'runner memory', unit: 'bytes', targets: [target('A', 'cpchaos_process_resident_memory_bytes', 'mean', 'runner RSS', { where })] },
    {
      title: 'runner event-loop lag',
      unit: 's',
      targets: [
        target('A', 'cpchaos_process_event_loop_lag_p99_seconds', 'mean', 'lag p99', { where }),
        target('B', 'cpchaos_process_event_loop_lag_max_seconds', 'mean', 'lag max', { where }),
      ],
    },
    {
      title: 'runner open files',
      unit: 'short',
      targets: [
        target('A', 'cpchaos_process_open_fds', 'mean', 'open files', { where }),
        target('B', 'cpchaos_process_max_fds', 'mean', 'limit (ulimit -n)', { where }),
      ],
    },
  ];
}

const datasource = { type: 'influxdb', uid: '${datasource}' };

function tagVariable(name: string, key: string, where = '') {
  return {
    name,
    type: 'query',
    datasource,
    query: `SHOW TAG VALUES FROM "cpchaos_event" WITH KEY = "${key}"${where}`,
    refresh: 2,
    sort: 0,
    includeAll: false,
    multi: false,
  };
}

/** The dashboard JSON Grafana imports (Dashboards > New > Import). */
export function grafanaDashboard(): object {
  return {
    title: 'cpchaos runs (InfluxDB)',
    uid: 'cpchaos-influxdb',
    description: 'The charts of report.html for runs recorded with the InfluxDB sink (metrics.influxdb or --influxdb).',
    schemaVersion: 39,
    editable: true,
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'influxdb', label: 'InfluxDB' },
        tagVariable('experiment', 'experiment'),
        tagVariable('run', 'run_id', ' WHERE "experiment" =~ /^$experiment$/'),
      ],
    },
    annotations: {
      list: [
        {
          name: 'run events',
          datasource,
          enable: true,
          iconColor: 'orange',
          query: `SELECT "message", "type" FROM "cpchaos_event" WHERE ${runFilter}`,
          textColumn: 'message',
          tagsColumn: 'type',
        },
      ],
    },
    panels: dashboardPanels().map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      datasource,
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((t) => ({ refId: t.refId, datasource, rawQuery: true, resultFormat: 'time_series', query: t.query, alias: t.alias })),
    })),
  };
}
