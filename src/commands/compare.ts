import path from 'node:path';
import type { Command } from 'commander';
import { comparisonMarkdown, loadRunFigures } from '../report/compare.js';
import { note } from './shared.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare run folders side by side: peak memory, OOM kills, 429s, LIST p99, relists, verdicts (deltas against the first)')
    .argument('<runs...>', 'results/<run-id> folders')
    .option('--json', 'print the figures as JSON')
    .option('--html <file>', "also write a page with the runs' charts overlaid on the same axes")
    .action(async (dirs: string[], flags: { json?: boolean; html?: string }) => {
      const runs = [];
      for (const dir of dirs) runs.push(await loadRunFigures(dir));
      process.stdout.write(flags.json ? `${JSON.stringify(runs, null, 2)}\n` : comparisonMarkdown(runs));
      if (flags.html) {
        const { writeOverlayReport } = await import('../report/html.js');
        note(`report: ${path.resolve(await writeOverlayReport(dirs, flags.html))}`);
      }
    });
}
