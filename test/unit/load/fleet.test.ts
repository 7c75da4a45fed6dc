import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { repoRoot } from '../../helpers/cluster.js';

/** Starts a fleet of `count` kubelets in a node process whose open-files limit is `limit`; what it says. */
async function startUnderLimit(limit: number, count: number): Promise<string> {
  const fleetModule = path.join(repoRoot, 'dist', 'src', 'load', 'fleet.js');
  const script = `
    const { Fleet } = await import(${JSON.stringify(fleetModule)});
    const kinds = new Map([['kubelet', { informers: (node) => [{ resource: 'pods', path: '/api/v1/pods', fieldSelector: 'spec.nodeName=' + node }] }]]);
    const fleet = new Fleet('https://127.0.0.1:9', {}, kinds);
    try { await fleet.start([{ type: 'kubelet', count: ${count}, relist: 'cache', paginate: false, rampUpMs: 0, workers: 1 }]); console.log('started'); }
    catch (error) { console.log(error.constructor.name + ': ' + error.message); }
    await fleet.stop();`;
  const result = await execa('prlimit', [`--nofile=${limit}`, process.execPath, '--input-type=module', '-e', script], { reject: false });
  return String(result.stdout).trim();
}

test('a fleet larger than the open-files limit is refused at once, saying what to do', async (t) => {
  const refused = await startUnderLimit(4_000, 2_000);
  t.regex(
    refused,
    /^InfrastructureError: 2000 more agent informers need about 7000 open files here .* this process may open 4000 \(ulimit -n\): raise the limit, or run the agents on a load cluster/,
  );
  t.is(await startUnderLimit(4_000, 500), 'started');
});
