import test from 'ava';
import { FleetStats } from '../../../../src/load/agents/stats.js';
import { splitPlan, type AgentPlan } from '../../../../src/load/fleet-workers.js';

function activity(stats: FleetStats, type: string, relists: number): void {
  stats.agentStarted(type);
  stats.listRequested(type, '0');
  stats.listDone(type, false, 5, 100);
  stats.watchOpened(type);
  stats.connectionDialled(type, false);
  for (let i = 0; i < relists; i++) {
    stats.watchBroken(type, 'ECONNRESET');
    stats.listRequested(type, '0');
    stats.listDone(type, true, 10 + i, 50);
    stats.connectionDialled(type, false);
    stats.connectionDialled(type, true);
    // The first dial failed its handshake; the spare got through and was kept.
    stats.dialEnded(type, 'failed', false);
    stats.dialEnded(type, 'kept', true);
  }
}

test('the deltas of worker threads add up to the stats one thread would have kept, each change counted once', (t) => {
  const alone = new FleetStats();
  const merged = new FleetStats();
  const workers = [new FleetStats(), new FleetStats()];
  activity(alone, 'kubelet', 2);
  activity(workers[0]!, 'kubelet', 2);
  merged.add(workers[0]!.delta());
  activity(alone, 'kubelet', 1);
  activity(workers[1]!, 'kubelet', 1);
  activity(alone, 'kube-proxy', 3);
  activity(workers[1]!, 'kube-proxy', 3);
  merged.add(workers[1]!.delta());
  merged.add(workers[0]!.delta());
  merged.add(workers[1]!.delta());
  for (const type of ['kubelet', 'kube-proxy']) {
    const a = alone.byType.get(type)!;
    const m = merged.byType.get(type)!;
    t.like(m, {
      agents: a.agents,
      lists: a.lists,
      relists: a.relists,
      openWatches: a.openWatches,
      listBytes: a.listBytes,
      connections: a.connections,
      spareConnections: a.spareConnections,
      keptSpares: a.keptSpares,
      failedDials: a.failedDials,
    });
    t.deepEqual(m.breaks, a.breaks);
    t.deepEqual(m.resourceVersions, a.resourceVersions);
    t.deepEqual([...m.recentRelistMs].sort(), [...a.recentRelistMs].sort());
    t.is(m.relistTimes.length, a.relistTimes.length);
  }
});

test('a plan is dealt round-robin: every agent in exactly one part, parts as even as can be, none empty', (t) => {
  const plan: AgentPlan = {
    type: 'kubelet',
    relist: 'cache',
    paginate: false,
    rampUpMs: 1000,
    backoff: { initialMs: 1, maxMs: 2 },
    agents: Array.from({ length: 7 }, (_, i) => ({ node: `n${i}`, targets: [], writes: [] })),
    labels: {},
  };
  const parts = splitPlan(plan, 3);
  t.deepEqual(
    parts.map((p) => p.agents.length),
    [3, 2, 2],
  );
  t.deepEqual(parts.flatMap((p) => p.agents.map((a) => a.node)).sort(), plan.agents.map((a) => a.node).sort());
  t.true(parts.every((p) => p.rampUpMs === 1000));
  t.is(splitPlan({ ...plan, agents: plan.agents.slice(0, 2) }, 3).length, 2);
});

test('the fleet’s layout is recorded beside its counts: worker threads and shards, as the runner’s', async (t) => {
  const stats = new FleetStats();
  activity(stats, 'kubelet', 0);
  t.false(
    stats.drain(1).some((s) => s.metric === 'cpchaos_fleet_worker_threads'),
    'no layout until the fleet says where its agents run',
  );
  stats.setLayout(2, 3);
  const layout = stats.drain(2).filter((s) => s.metric === 'cpchaos_fleet_worker_threads' || s.metric === 'cpchaos_fleet_shards');
  t.deepEqual(layout, [
    { t: 2, metric: 'cpchaos_fleet_worker_threads', labels: { component: 'runner' }, value: 2 },
    { t: 2, metric: 'cpchaos_fleet_shards', labels: { component: 'runner' }, value: 3 },
  ]);
});

test('connections the agents dialled are series of their own, the spares apart, and so are spares kept and dials failed', (t) => {
  const stats = new FleetStats();
  activity(stats, 'kubelet', 2);
  const dialled = stats.drain(1).filter((s) => s.metric.includes('connections_total'));
  t.deepEqual(dialled, [
    { t: 1, metric: 'cpchaos_fleet_connections_total', labels: { component: 'runner', agent: 'kubelet' }, value: 3 },
    { t: 1, metric: 'cpchaos_fleet_spare_connections_total', labels: { component: 'runner', agent: 'kubelet' }, value: 2 },
  ]);
  // A spare kept, and dials that never finished their handshake; a first dial kept, or a spare closed, is neither.
  stats.dialEnded('kubelet', 'kept', false);
  stats.dialEnded('kubelet', 'closed', true);
  const ended = stats.drain(2).filter((s) => /kept_spares|failed_dials/.test(s.metric));
  t.deepEqual(ended, [
    { t: 2, metric: 'cpchaos_fleet_kept_spares_total', labels: { component: 'runner', agent: 'kubelet' }, value: 2 },
    { t: 2, metric: 'cpchaos_fleet_failed_dials_total', labels: { component: 'runner', agent: 'kubelet' }, value: 2 },
  ]);
  const shard = new FleetStats();
  shard.setTotals(stats.totals());
  t.like(shard.byType.get('kubelet'), { connections: 3, spareConnections: 2, keptSpares: 2, failedDials: 2 }, 'a shard publishes them too');
});

test("the apiserver's first message for each reason a request failed crosses from worker threads once, the first kept", (t) => {
  const worker = new FleetStats();
  worker.watchBroken('kubelet', 'PUT leases -> 400', 'the first');
  worker.watchBroken('kubelet', 'PUT leases -> 400', 'a later one');
  worker.watchBroken('kubelet', 'closed');
  const merged = new FleetStats();
  merged.add(worker.delta());
  worker.watchBroken('kubelet', 'PUT leases -> 422', 'refused');
  const second = worker.delta();
  t.deepEqual(second.kubelet?.failureMessages, [['PUT leases -> 422', 'refused']], 'a delta carries only the reasons new since the last');
  merged.add(second);
  const other = new FleetStats();
  other.watchBroken('kubelet', 'PUT leases -> 400', "another thread's");
  merged.add(other.delta());
  t.deepEqual(Object.fromEntries(merged.byType.get('kubelet')!.failureMessages), { 'PUT leases -> 400': 'the first', 'PUT leases -> 422': 'refused' });
  t.is(merged.byType.get('kubelet')!.breaks.get('PUT leases -> 400'), 3);
});
