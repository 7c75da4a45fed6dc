import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';

/** Starts the client-go reference fleet (bench/fleet-go) with `args`, stopped when the test ends; resolves once every reflector has synced. */
export async function startFleetGo(t: ExecutionContext, binary: string, args: string[]): Promise<void> {
  const child: ResultPromise = execa(binary, args, { reject: false, forceKillAfterDelay: 5000 });
  t.teardown(async () => {
    child.kill('SIGTERM');
    await child;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('synced') && resolve());
    void child.then((result) => reject(new Error(`fleet-go exited: ${String(result.stderr)}`)));
  });
}
