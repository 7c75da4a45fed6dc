import test from 'ava';
import { HeartbeatClient, withTimeoutParameter } from '../../../../src/load/agents/heartbeat-client.js';
import type { AgentWire, WireRequest, WireResponse } from '../../../../src/load/agents/wire.js';
import { Cancellation } from '../../../../src/util/cancellation.js';

type Answer = { status: number; retryAfterS?: number } | { error: string } | 'never';

/** A wire answering `send` from a script, writing down each request's path; 'never' answers only when the request's signal aborts. */
function scriptedWire(answers: Answer[]): { wire: AgentWire; paths: string[] } {
  const paths: string[] = [];
  const send = (request: WireRequest): Promise<WireResponse> => {
    paths.push(request.path);
    const answer = answers.shift();
    if (!answer) throw new Error('no answer left');
    if (answer === 'never')
      return new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: 'ABORT_ERR' }))));
    if ('error' in answer) return Promise.reject(Object.assign(new Error(answer.error), { code: answer.error }));
    return Promise.resolve({ status: answer.status, body: Buffer.alloc(0), ...(answer.retryAfterS !== undefined ? { retryAfterS: answer.retryAfterS } : {}) });
  };
  const unused = () => Promise.reject(new Error('unused'));
  return {
    wire: { send, list: unused, watch: unused, closeConnections: () => undefined, closeIdleConnections: () => undefined, close: () => undefined },
    paths,
  };
}

test("client-go's timeout parameter, with the query's keys in Go's order", (t) => {
  t.is(withTimeoutParameter('/api/v1/nodes/n1', 10_000), '/api/v1/nodes/n1?timeout=10s');
  t.is(withTimeoutParameter('/api/v1/nodes/n1?resourceVersion=0', 10_000), '/api/v1/nodes/n1?resourceVersion=0&timeout=10s');
});

test('a 429 with Retry-After is sent again, up to 10 retries; one without Retry-After is not', async (t) => {
  const { wire, paths } = scriptedWire(Array.from({ length: 12 }, () => ({ status: 429, retryAfterS: 0 })));
  let attempts = 0;
  const response = await new HeartbeatClient({ wire, cancellation: new Cancellation() }).send({ method: 'PUT', path: '/x', protobuf: true }, () => attempts++);
  t.is(response.status, 429);
  t.is(attempts, 11);
  t.is(paths.length, 11);
  const once = scriptedWire([{ status: 429 }, { status: 200 }]);
  t.is((await new HeartbeatClient({ wire: once.wire, cancellation: new Cancellation() }).send({ method: 'PUT', path: '/x', protobuf: true })).status, 429);
  t.is(once.paths.length, 1);
});

test('a cut connection: a GET goes again a second later, a write does not', async (t) => {
  const get = scriptedWire([{ error: 'ECONNRESET' }, { status: 200 }]);
  const started = performance.now();
  t.is((await new HeartbeatClient({ wire: get.wire, cancellation: new Cancellation() }).send({ method: 'GET', path: '/x', protobuf: true })).status, 200);
  t.true(performance.now() - started >= 990);
  const put = scriptedWire([{ error: 'ECONNRESET' }, { status: 200 }]);
  await t.throwsAsync(new HeartbeatClient({ wire: put.wire, cancellation: new Cancellation() }).send({ method: 'PUT', path: '/x', protobuf: true }), {
    message: 'ECONNRESET',
  });
  t.is(put.paths.length, 1);
});

test('a request not answered within the timeout is cancelled: context deadline exceeded', async (t) => {
  const { wire } = scriptedWire(['never']);
  const client = new HeartbeatClient({ wire, cancellation: new Cancellation(), timeoutMs: 100 });
  await t.throwsAsync(client.send({ method: 'GET', path: '/x', protobuf: true }), { message: 'context deadline exceeded', code: 'ETIMEDOUT' });
});
