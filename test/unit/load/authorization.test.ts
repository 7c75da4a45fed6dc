import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import test from 'ava';
import { fixedAuthorization, kubeconfigAuthorization, renewalTime, renewingBearer, withFreshCredentials } from '../../../src/load/authorization.js';
import { repoRoot } from '../../helpers/cluster.js';

/** A kubeconfig whose user runs the exec-credential fixture, its tokens living `lifeMs`; and the tokens the fixture issued. */
async function execKubeconfig(lifeMs: number): Promise<{ kc: KubeConfig; issued: () => Promise<string[]> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cpchaos-auth-'));
  const log = path.join(dir, 'exec.log');
  // A user name of its own per test: client-node caches exec credentials by user name, process-wide.
  const user = `exec-${path.basename(dir)}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [
      {
        name: user,
        exec: {
          command: process.execPath,
          args: [path.join(repoRoot, 'dist', 'test', 'fixtures', 'exec-credential.js')],
          env: [
            { name: 'CPCHAOS_TEST_TOKEN_LIFE_MS', value: String(lifeMs) },
            { name: 'CPCHAOS_TEST_EXEC_LOG', value: log },
          ],
        },
      },
    ],
    contexts: [{ name: 'c', cluster: 'c', user }],
    currentContext: 'c',
  });
  const issued = async () => (await fs.readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  return { kc, issued };
}

async function startFrom(kc: KubeConfig, recheckMs: number) {
  const applied = {};
  await kc.applyToHTTPSOptions(applied);
  return kubeconfigAuthorization(kc, applied, recheckMs);
}

test('an exec identity is re-read while requests flow: a new token once the old one expired, and none in its serialized form', async (t) => {
  const { kc, issued } = await execKubeconfig(300);
  const auth = await startFrom(kc, 50);
  const first = auth.current();
  t.regex(first ?? '', /^Bearer cpchaos-test\./);
  t.false(JSON.stringify(auth).includes('cpchaos-test'), 'the token is not in what a log of the object would show');
  const deadline = Date.now() + 5_000;
  while (auth.current() === first && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  t.not(auth.current(), first);
  t.deepEqual((await issued()).map((token) => `Bearer ${token}`).slice(0, 2), [first, auth.current()]);
});

test('many requests refused at once share one read; a token client-node still holds valid leaves the 401 standing', async (t) => {
  const { kc, issued } = await execKubeconfig(60_000);
  const auth = await startFrom(kc, 60_000);
  const refused = auth.current();
  t.true(await auth.refresh('Bearer an-older-token'), 'the header was already replaced: send again');
  t.is((await issued()).length, 1);
  const results = await Promise.all(Array.from({ length: 20 }, () => auth.refresh(refused)));
  t.is((await issued()).length, 1, 'client-node held a token it thinks valid, so the plugin did not run again');
  t.deepEqual(new Set(results), new Set([false]));
});

test('withFreshCredentials resends once with a new header after an expiry, and never for a fixed one', async (t) => {
  const { kc } = await execKubeconfig(200);
  const auth = await startFrom(kc, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sent: (string | undefined)[] = [];
  const response = await withFreshCredentials(auth, async (header) => {
    sent.push(header);
    return { status: sent.length === 1 ? 401 : 200 };
  });
  t.is(response.status, 200);
  t.is(sent.length, 2);
  t.not(sent[0], sent[1]);

  let calls = 0;
  const fixed = await withFreshCredentials(fixedAuthorization('Bearer static'), async () => {
    calls++;
    return { status: 401 };
  });
  t.is(fixed.status, 401);
  t.is(calls, 1);
});

/** A token shaped as the apiserver's bound ServiceAccount tokens (a JWT), issued `ageS` ago and living `lifeS`; unsigned: only its claims matter here. */
function boundToken(ageS: number, lifeS: number, id: string): string {
  const iat = Math.floor(Date.now() / 1000) - ageS;
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ iat, exp: iat + lifeS, jti: id })}.c2ln`;
}

test('a ServiceAccount token is renewed once past 80 % of its life, as kubelet renews projected tokens, and not before', async (t) => {
  const issued: string[] = [];
  const renew = async () => {
    issued.push(boundToken(0, 600, `fresh-${issued.length}`));
    return issued.at(-1)!;
  };
  const young = boundToken(400, 600, 'young');
  t.is(renewalTime(young), (Math.floor(Date.now() / 1000) - 400 + 480) * 1000);
  const fresh = renewingBearer(young, renew, 0);
  t.is(fresh.current(), `Bearer ${young}`);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(fresh.current(), `Bearer ${young}`, 'at 67 % of its life it stays');
  t.is(issued.length, 0);

  const old = boundToken(500, 600, 'old');
  const aged = renewingBearer(old, renew, 0);
  t.is(aged.current(), `Bearer ${old}`, 'sent while the new one is asked for: a storm never waits on it');
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(issued.length, 1, 'one TokenRequest');
  t.is(aged.current(), `Bearer ${issued[0]}`);
});

test('a refused ServiceAccount token is renewed at once, once for many refusals; one that says no expiry only then', async (t) => {
  let renewed = 0;
  const renew = async () => `new-${++renewed}`;
  const opaque = 'not-a-jwt';
  t.is(renewalTime(opaque), Number.POSITIVE_INFINITY);
  const auth = renewingBearer(opaque, renew, 0);
  t.is(auth.current(), 'Bearer not-a-jwt');
  const refused = await Promise.all(Array.from({ length: 50 }, () => auth.refresh('Bearer not-a-jwt')));
  t.true(refused.every(Boolean), 'each refused request is worth sending again');
  t.is(renewed, 1, 'one TokenRequest for all of them');
  t.is(auth.current(), 'Bearer new-1');
});
