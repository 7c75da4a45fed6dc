/**
 * `--help` (or `-h`) on a bench prints its file's opening comment, which says what it measures and how to run it,
 * and exits, instead of starting a measurement that may last an hour with the defaults. A bench imports this first,
 * for its effect alone, so it runs before anything else the bench does.
 */
import { readFileSync } from 'node:fs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const header = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(readFileSync(process.argv[1]!, 'utf8'))?.[1];
  console.log(header ? header.replace(/^ \* ?/gm, '') : 'this bench has no opening comment to show');
  process.exit(0);
}
