import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { repoRoot } from '../../helpers/cluster.js';
import { Fleet } from '../../../src/load/fleet.js';

/** Starts a fleet of `count` kubelets in a node process whose open-files limit is `limit`; what it says. */
async function startUnderLimit(limit: number, count: number, relayed = false): Promise<string> {
  const fleetModule = path.join(repoRoot, 'dist', 'src', 'load', 'fleet.js');
  const script = `
    const { Fleet } = await import(${JSON.stringify(fleetModule)});
    const kinds = new Map([['kubelet', { parts: {}, model: (node) => ({ informers: [{ resource: 'pods', path: '/api/v1/pods', fieldSelector: 'spec.nodeName=' + node }], writes: [] }) }]]);
    const fleet = new Fleet('https://127.0.0.1:9', {}, kinds, { relayed: ${relayed} });
    try { await fleet.start([{ type: 'kubelet', count: ${count}, relist: 'cache', paginate: false, rampUpMs: 0, workers: 1 }]); console.log('started'); }
    catch (error) { console.log(error.constructor.name + ': ' + error.message); }
    await fleet.stop();`;
  const result = await execa('prlimit', [`--nofile=${limit}`, process.execPath, '--input-type=module', '-e', script], { reject: false });
  return String(result.stdout).trim();
}

test('a fleet larger than the open-files limit is refused at once, saying what to do', async (t) => {
  // Through the relay a connection costs three descriptors; direct, one.
  t.regex(
    await startUnderLimit(4_000, 2_000, true),
    /^InfrastructureError: 2000 more agent connections need about 7000 open files here \(a socket each, two more through the runner's relay\), and this process may open 4000 \(ulimit -n\): raise the limit, or run the agents on a load cluster/,
  );
  t.is(await startUnderLimit(4_000, 500, true), 'started');
  t.is(await startUnderLimit(4_000, 2_000), 'started');
  t.regex(await startUnderLimit(4_000, 3_500), /^InfrastructureError: 3500 more agent connections need about 4500 open files here \(a socket each\)/);
});

test('each thread gates its TLS handshakes at 200 in flight unless told another limit, and 0 lifts it', (t) => {
  const limit = (handshakesInFlight?: number) =>
    new Fleet('https://127.0.0.1:9', {}, new Map(), handshakesInFlight === undefined ? {} : { handshakesInFlight }).handshakesInFlight;
  t.is(limit(), 200);
  t.is(limit(50), 50);
  t.is(limit(0), 0);
});
