import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Loaded by ava into every test worker before its tests (package.json "ava.require"):
 * everything the worker and the cpchaos processes it starts put in the temp folder
 * goes into one folder of its own, removed when the worker exits, so a test run leaves
 * nothing in /tmp whatever its tests forget.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cpchaos-test-'));
process.env.TMPDIR = root;
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
