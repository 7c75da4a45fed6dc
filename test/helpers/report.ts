import fs from 'node:fs/promises';
import type { ReportData } from '../../src/report/report-data.js';

/** The data embedded in a report page, as the page's script reads it. */
export async function embeddedReportData(file: string): Promise<ReportData> {
  const html = await fs.readFile(file, 'utf8');
  const match = /<script type="application\/json" id="cpchaos-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error(`${file} embeds no report data`);
  return JSON.parse(match[1]!) as ReportData;
}
