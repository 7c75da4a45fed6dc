import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { write } from './shared.js';

/** A variant run's folder holds one run folder per variant; those are what it overlays. */
async function runFolders(dir: string): Promise<string[]> {
  if (
    await fs.stat(path.join(dir, 'summary.json')).then(
      () => true,
      () => false,
    )
  )
    return [dir];
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => {
    throw new UsageError(`${dir}: no such folder`);
  });
  const children: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (
      await fs.stat(path.join(dir, entry.name, 'summary.json')).then(
        () => true,
        () => false,
      )
    )
      children.push(path.join(dir, entry.name));
  }
  if (children.length === 0) throw new UsageError(`${dir} is not a run folder (no summary.json in it or in its subfolders)`);
  return children;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render report.html (charts over time, verdicts) from recorded run folders; several runs are overlaid on the same axes')
    .argument('<runs...>', "results/<run-id> folders, or a variant run's folder")
    .option('--out <file>', 'where to write the page (default: <run>/report.html for one run or one variant folder, ./comparison.html for several)')
    .action(async (dirs: string[], flags: { out?: string }) => {
      const { writeOverlayReport, writeRunReport } = await import('../report/html.js');
      const folders: string[] = [];
      for (const dir of dirs) folders.push(...(await runFolders(dir)));
      let out: string;
      if (folders.length === 1) out = await writeRunReport(folders[0]!, flags.out);
      else out = await writeOverlayReport(folders, flags.out ?? (dirs.length === 1 ? path.join(dirs[0]!, 'report.html') : 'comparison.html'));
      write(path.resolve(out));
    });
}
