import test from 'ava';
import { HandshakeGate } from '../../../../src/load/agents/handshake-gate.js';
import { Http2Wire } from '../../../../src/load/agents/wire-http2.js';
import { Cancellation } from '../../../../src/util/cancellation.js';
import { within } from '../../../helpers/within.js';

test('a request asked of an agent that stopped fails at once, gate or not, rather than wait for a dial never made', async (t) => {
  for (const gate of [new HandshakeGate(1), undefined]) {
    const cancellation = new Cancellation();
    // Nothing listens on port 9: a dial made would fail with ECONNREFUSED, not AbortError.
    const wire = new Http2Wire('https://127.0.0.1:9', {}, { cancellation, ...(gate ? { gate } : {}) });
    cancellation.stop();
    const error = await t.throwsAsync(within(2000, wire.list('/api/v1/pods', true)));
    t.is(error?.name, 'AbortError', gate ? 'with a gate' : 'without one');
  }
});
