import fs from 'node:fs/promises';
import path from 'node:path';
import type { HistoryResult } from './history.js';
import { historyHtml } from './html.js';
import { historyMarkdown, historyTitle } from './markdown.js';

/** history.md, history.json and history.html in `dir`; returns the markdown. */
export async function writeHistory(dir: string, result: HistoryResult): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const markdown = historyMarkdown(result);
  await fs.writeFile(path.join(dir, 'history.md'), markdown);
  await fs.writeFile(path.join(dir, 'history.json'), `${JSON.stringify(result, null, 2)}\n`);
  const title = `History of ${result.histories.map(historyTitle).join(', ')}`;
  await fs.writeFile(path.join(dir, 'history.html'), await historyHtml(result, markdown, title));
  return markdown;
}
