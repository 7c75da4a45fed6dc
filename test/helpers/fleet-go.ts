import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import { clientGoIdentityArgs } from '../../bench/fleet-go-identity.js';
import type { LocalCluster } from '../../src/cluster/local.js';
import { Http2Wire } from '../../src/load/agents/wire-http2.js';
import { createOver } from '../../src/load/service-account-token.js';
import type { TlsMaterial } from '../../src/load/transports/types.js';
import { catalog } from '../../src/plugins.js';
import { Cancellation } from '../../src/util/cancellation.js';

/**
 * Starts the client-go reference fleet (bench/fleet-go) with `args` and `env` beside ours (DISABLE_HTTP2, say), stopped when the
 * test ends; resolves once every reflector has synced.
 */
export async function startFleetGo(t: ExecutionContext, binary: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const child: ResultPromise = execa(binary, args, { reject: false, forceKillAfterDelay: 5000, env });
  t.teardown(async () => {
    child.kill('SIGTERM');
    await child;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('synced') && resolve());
    void child.then((result) => reject(new Error(`fleet-go exited: ${String(result.stderr)}`)));
  });
}

/**
 * bench/fleet-go's arguments that make its agents of `kind` who the real ones are on `cluster` (clientGoIdentityArgs), the
 * ServiceAccount a kind needs made over a wire of the load identity `tls`, closed after.
 */
export async function referenceIdentityArgs(cluster: LocalCluster, tls: TlsMaterial, kind: string, minor: number): Promise<string[]> {
  const wire = new Http2Wire(cluster.access.server, tls, { cancellation: new Cancellation() });
  try {
    return await clientGoIdentityArgs(path.dirname(cluster.loadKubeconfigPath), kind, catalog.agents.get(kind)!, minor, createOver(wire));
  } finally {
    wire.close();
  }
}
