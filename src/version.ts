import fs from 'node:fs';

/** cpchaos's own version, from the package.json it ships with (dist/src/ sits two folders below it). */
export const cpchaosVersion: string = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
