import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import test from 'ava';
import { fixedAuthorization, kubeconfigAuthorization, withFreshCredentials } from '../../../src/load/authorization.js';
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
