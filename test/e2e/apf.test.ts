import test from 'ava';
import { apf } from '../../src/faults/apf.js';
import { get } from '../../src/cluster/https.js';
import { createFaultEnvironment } from '../../src/faults/environment.js';
import { ClientStats } from '../../src/metrics/client-stats.js';
import { parseExposition } from '../../src/metrics/scrapers/prometheus.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { catalog } from '../../src/plugins.js';

test.before(async () => {
  await isolatedStateDir();
});

test("a pod-LIST FlowSchema puts the load identity's pod LISTs in their own priority level", async (t) => {
  const cluster = await startCluster(t);
  const events: string[] = [];
  const { context, close } = await createFaultEnvironment(cluster, {
    agentKinds: catalog.agents,
    stats: new ClientStats(),
    signal: new AbortController().signal,
    event: (type) => void events.push(type),
  });
  t.teardown(close);
  const { client } = context;
  await apf.run(
    {
      type: 'apf',
      priorityLevels: [
        {
          metadata: { name: 'pod-lists' },
          spec: {
            type: 'Limited',
            limited: { nominalConcurrencyShares: 5, limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 4, queueLengthLimit: 50 } } },
          },
        },
      ],
      flowSchemas: [
        {
          metadata: { name: 'pod-lists' },
          spec: {
            priorityLevelConfiguration: { name: 'pod-lists' },
            matchingPrecedence: 500,
            distinguisherMethod: { type: 'ByUser' },
            rules: [
              {
                subjects: [{ kind: 'Group', group: { name: 'cpchaos:load' } }],
                resourceRules: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'], namespaces: ['*'], clusterScope: true }],
              },
            ],
          },
        },
      ],
    },
    context,
  );
  t.deepEqual(events, ['apf-applied']);

  for (let i = 0; i < 3; i++) t.is((await client.request('GET', '/api/v1/pods')).status, 200);
  t.is((await client.request('GET', '/api/v1/configmaps')).status, 200);
  const metrics = await get(`${cluster.access.server}/metrics`, cluster.access);
  const dispatched = parseExposition(metrics.body, 0, {}, (n) => n === 'apiserver_flowcontrol_dispatched_requests_total');
  const inLevel = dispatched.filter((s) => s.labels.priority_level === 'pod-lists');
  t.is(
    inLevel.reduce((n, s) => n + s.value, 0),
    3,
    'exactly the three pod LISTs went through the new level',
  );
  t.true(inLevel.every((s) => s.labels.flow_schema === 'pod-lists'));
  const seats = parseExposition(metrics.body, 0, {}, (n) => n === 'apiserver_flowcontrol_nominal_limit_seats').find(
    (s) => s.labels.priority_level === 'pod-lists',
  );
  t.true((seats?.value ?? 0) > 0, `the level has seats: ${seats?.value}`);
});
