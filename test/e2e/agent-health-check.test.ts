import test from 'ava';
import { buildFleetGo } from '../../bench/fleet-go-build.js';
import { defaultKubernetesVersion, parseKubernetesVersion } from '../../src/binaries/versions.js';
import { clientModel } from '../../src/load/agents/reflector.js';
import { kubeconfigIdentity } from '../../src/load/client.js';
import { Fleet } from '../../src/load/fleet.js';
import { LoadBalancerProxy } from '../../src/load/proxy.js';
import { catalog } from '../../src/plugins.js';
import { isolatedStateDir, startCluster } from '../helpers/cluster.js';
import { referenceIdentityArgs, startFleetGo } from '../helpers/fleet-go.js';

test.before(async () => {
  await isolatedStateDir();
});

const agents = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test.serial(
  "a blackholed connection is found dead by HTTP/2's health check, ours as client-go's: a PING after the read-idle timeout, unanswered, and the agents dial again while the blackhole lasts",
  async (t) => {
    // client-go reads these from the environment, and so do ours: a PING after 2 s with no frame read, lost after 1 s more.
    const env = { HTTP2_READ_IDLE_TIMEOUT_SECONDS: '2', HTTP2_PING_TIMEOUT_SECONDS: '1' };
    Object.assign(process.env, env);
    t.teardown(() => Object.keys(env).forEach((name) => delete process.env[name]));
    const binary = await buildFleetGo(defaultKubernetesVersion);
    const cluster = await startCluster(t);
    const upstream = Number(new URL(cluster.access.server).port);
    const relays = { ours: new LoadBalancerProxy('127.0.0.1', upstream), theirs: new LoadBalancerProxy('127.0.0.1', upstream) };
    for (const relay of Object.values(relays)) {
      await relay.start();
      t.teardown(() => relay.stop());
    }
    const { tls } = await kubeconfigIdentity(cluster.loadKubeconfigPath);
    const fleet = new Fleet(`https://127.0.0.1:${relays.ours.port}`, tls, catalog.agents);
    t.teardown(() => fleet.stop());
    const minor = parseKubernetesVersion(defaultKubernetesVersion).minor;
    const client = { ...clientModel(minor), protocol: 'http2' as const };
    await fleet.start([{ type: 'kube-proxy', count: agents, relist: 'client-go', client, paginate: false, rampUpMs: 0 }]);
    const identity = await referenceIdentityArgs(cluster, tls, 'kube-proxy', minor);
    const server = `https://127.0.0.1:${relays.theirs.port}`;
    await startFleetGo(t, binary, [
      '-kubeconfig',
      cluster.loadKubeconfigPath,
      '-server',
      server,
      '-kind',
      'kube-proxy',
      '-agents',
      String(agents),
      ...identity,
    ]);
    await fleet.waitSynced(60_000);
    // Idle watches are pinged and answered: no connection is lost while the relays pass everything.
    const before = { ours: relays.ours.accepted, theirs: relays.theirs.accepted };
    await sleep(5000);
    t.deepEqual({ ours: relays.ours.accepted, theirs: relays.theirs.accepted }, before, 'answered PINGs keep every connection');

    for (const relay of Object.values(relays)) relay.setBlackhole(true);
    await sleep(6000);
    const dialled = { ours: relays.ours.accepted - before.ours, theirs: relays.theirs.accepted - before.theirs };
    for (const relay of Object.values(relays)) relay.setBlackhole(false);
    t.log('connections dialled into the blackhole', dialled);
    t.true(dialled.theirs >= agents, `client-go's agents found their connections dead and dialled again (${dialled.theirs})`);
    t.true(dialled.ours >= agents, `so did ours (${dialled.ours})`);
    const deadline = Date.now() + 60_000;
    while (!fleet.watching() && Date.now() < deadline) await sleep(200);
    t.true(fleet.watching(), 'once the blackhole is gone, every informer of ours watches again');
  },
);
