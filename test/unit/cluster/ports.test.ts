import test from 'ava';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { claimPort, freePort } from '../../../src/cluster/ports.js';

const portsModule = fileURLToPath(new URL('../../../src/cluster/ports.js', import.meta.url));

/** A second process tries to claim `port`, draws a port of its own, and exits. */
async function inAnotherProcess(port: number): Promise<{ claimed: boolean; drew: number }> {
  const script = `import { claimPort, freePort } from ${JSON.stringify(portsModule)};
console.log(JSON.stringify({ claimed: await claimPort(${port}), drew: await freePort() }));`;
  const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as { claimed: boolean; drew: number };
}

test('a port one process drew is refused to another until the first exits', async (t) => {
  if (process.platform !== 'linux') return t.pass('claims need Linux abstract sockets');
  const drawn = await freePort();
  const other = await inAnotherProcess(drawn);
  t.false(other.claimed, 'the second process may not take the port this one drew');
  t.not(other.drew, drawn);
  t.true(await claimPort(other.drew), 'the second process has exited: its claim went with it');
  t.false(await claimPort(drawn), 'a claim holds for the life of its process');
});
