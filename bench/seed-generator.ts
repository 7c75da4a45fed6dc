/**
 * The cpchaos side of bench/seed as a process of its own, so that bench/seed reads its
 * CPU and memory from /proc exactly as it reads kube-burner's. Seeds --pods pods named
 * bench-<i> into namespace bench and prints the client's create latencies as JSON.
 */
import { flag, protocolFlag } from './common.js';
import { KubeApiClient } from '../src/load/client.js';
import { seed } from '../src/load/seed.js';
import { ClientStats } from '../src/metrics/client-stats.js';

const stats = new ClientStats();
const client = await KubeApiClient.fromKubeconfig(flag('kubeconfig', ''), stats, {
  maxSockets: Number(flag('concurrency', '50')),
  protocol: protocolFlag('http1'),
});
const [set] = await seed(
  [
    {
      kind: 'pods',
      name: 'bench',
      count: Number(flag('pods', '10000')),
      qps: Number(flag('qps', '0')),
      concurrency: Number(flag('concurrency', '50')),
      namespace: 'bench',
    },
  ],
  { client, runId: 'bench', experimentDir: process.cwd(), event: () => undefined, quiet: true },
);
client.close();
const creates = stats.totals().find((t) => t.verb === 'create' && t.resource === 'pods');
console.log(JSON.stringify({ created: set?.objects.length ?? 0, p50Ms: creates?.p50Ms, p99Ms: creates?.p99Ms, codes: creates?.codes }));
