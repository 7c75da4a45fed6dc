import { existingProvider } from './cluster/existing.js';
import { kindProvider } from './cluster/kind.js';
import { localProvider } from './cluster/local.js';
import { createCatalog } from './core/catalog.js';
import type { Plugins } from './core/plugin.js';
import { apf } from './faults/apf.js';
import { connectionDrop } from './faults/connection-drop.js';
import { crdBurst } from './faults/crd-burst.js';
import { churn } from './faults/churn.js';
import { deleteObjects } from './faults/delete-objects.js';
import { killProcess } from './faults/kill-process.js';
import { listFlood } from './faults/list-flood.js';
import { memoryLimit } from './faults/memory-limit.js';
import { mixedWorkload } from './faults/mixed-workload.js';
import { nodeJoinBurst } from './faults/node-join-burst.js';
import { pauseNode } from './faults/pause-node.js';
import { pauseProcess } from './faults/pause-process.js';
import { restartLoadBalancer } from './faults/restart-load-balancer.js';
import { apiCallLatency } from './hypotheses/builtins/api-call-latency.js';
import { notOomKilled } from './hypotheses/builtins/not-oom-killed.js';
import { objectsIntact } from './hypotheses/builtins/objects-intact.js';
import { readyWithin } from './hypotheses/builtins/ready-within.js';
import { cniAgent } from './load/agents/cni-agent.js';
import { kubeProxy } from './load/agents/kube-proxy.js';
import { kubelet } from './load/agents/kubelet.js';
import { cgroupScraper } from './metrics/scrapers/cgroup.js';
import { clientScraper } from './metrics/scrapers/client.js';
import { fleetScraper } from './metrics/scrapers/fleet.js';
import { promqlScraper } from './metrics/scrapers/promql.js';
import { procScraper } from './metrics/scrapers/proc.js';
import { prometheusScraper } from './metrics/scrapers/prometheus.js';
import { readinessScraper } from './metrics/scrapers/readiness.js';
import { runnerScraper } from './metrics/scrapers/runner.js';
import { influxdbSink } from './metrics/sinks/influxdb.js';
import { ndjsonSink } from './metrics/sinks/ndjson.js';

/**
 * The composition root: every plugin of cpchaos, listed once. The experiment schema,
 * the loader's checks and the run's registries are all built from these lists; adding
 * a fault, provider, sink, scraper, hypothesis or agent kind is its file plus one line here.
 */
export const builtinPlugins: Plugins = {
  providers: [localProvider, kindProvider, existingProvider],
  faults: [
    listFlood,
    deleteObjects,
    churn,
    killProcess,
    pauseProcess,
    memoryLimit,
    apf,
    crdBurst,
    mixedWorkload,
    connectionDrop,
    nodeJoinBurst,
    pauseNode,
    restartLoadBalancer,
  ],
  hypotheses: [notOomKilled, readyWithin, objectsIntact, apiCallLatency],
  sinks: [ndjsonSink, influxdbSink],
  scrapers: [prometheusScraper, procScraper, cgroupScraper, readinessScraper, clientScraper, fleetScraper, promqlScraper, runnerScraper],
  agents: [kubelet, kubeProxy, cniAgent],
};

export const catalog = createCatalog(builtinPlugins);
