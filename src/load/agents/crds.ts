import type { Cancellation } from '../../util/cancellation.js';
import type { AgentWire } from './wire.js';

const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function established(body: Buffer): boolean {
  const crd = JSON.parse(body.toString()) as { status?: { conditions?: { type: string; status: string }[] } };
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/** Creates the CustomResourceDefinitions an agent kind watches (ones that exist are kept) and waits until each is served. */
export async function ensureCrds(wire: AgentWire, crds: Record<string, unknown>[], cancellation: Cancellation, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = (crd.metadata as { name: string }).name;
    const created = await wire.send({ method: 'POST', path, protobuf: false, body: JSON.stringify(crd), contentType: 'application/json' });
    if (created.status >= 300 && created.status !== 409)
      throw new Error(`creating CustomResourceDefinition ${name}: HTTP ${created.status} ${created.body.toString().slice(0, 200)}`);
    for (;;) {
      const got = await wire.send({ method: 'GET', path: `${path}/${name}`, protobuf: false });
      if (got.status === 200 && established(got.body)) break;
      if (Date.now() > deadline || cancellation.stopped) throw new Error(`CustomResourceDefinition ${name} was not established within ${timeoutMs / 1000}s`);
      await cancellation.sleep(200);
    }
  }
}
