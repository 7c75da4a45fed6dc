import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { DrawnChart } from '../../src/report/report-data.js';

/** Debian's Chromium, installed by scripts/test-system-packages.sh; undefined when it could not be. */
export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => fs.existsSync(file));

export interface OpenedPage {
  consoleErrors: string[];
  charts: DrawnChart[];
  /** Per chart id, per series: canvas pixels of exactly that series' colour (0: the line was not drawn). */
  seriesPixels: Record<string, number[]>;
  legendLabels: Record<string, string[]>;
}

/**
 * Runs in the page (this project's Node compilation has no DOM types, hence a string):
 * what the page says it drew, and what its canvases and legends actually hold.
 */
const inspectCharts = `(() => {
  const seriesPixels = {};
  const legendLabels = {};
  for (const section of document.querySelectorAll('section.chart')) {
    const id = section.id.replace(/^chart-/, '');
    const canvas = section.querySelector('canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = new Map();
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] !== 255) continue;
      const key = pixels[i] + ',' + pixels[i + 1] + ',' + pixels[i + 2];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    const rows = [...section.querySelectorAll('.u-legend .u-series')].slice(1);
    legendLabels[id] = rows.map((row) => row.querySelector('.u-label').textContent || '');
    // Pixels of exactly each series' stroke colour, as its legend marker gives it.
    seriesPixels[id] = rows.map((row) => {
      const colour = getComputedStyle(row.querySelector('.u-marker')).borderTopColor.match(/\\d+/g).slice(0, 3).join(',');
      return counts.get(colour) || 0;
    });
  }
  return { charts: window.cpchaosReport.charts, seriesPixels, legendLabels };
})()`;

/** Opens a report file in headless Chromium with no network, waits for its charts and saves a screenshot. */
export async function openReport(file: string, screenshot: string): Promise<OpenedPage> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    // The page must be self-contained: any request but the file itself fails the test.
    const requests: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url().startsWith('file://')) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(`file://${path.resolve(file)}`);
    await page.waitForFunction('window.cpchaosReport?.ready === true', undefined, { timeout: 30_000 });
    const result = (await page.evaluate(inspectCharts)) as Pick<OpenedPage, 'charts' | 'seriesPixels' | 'legendLabels'>;
    await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors: [...consoleErrors, ...requests.map((url) => `network request to ${url}`)], ...result };
  } finally {
    await browser.close();
  }
}

export const browserSkipReason = chromiumPath
  ? undefined
  : `chromium is not installed (scripts/test-system-packages.sh installs it as root with apt-get; ${os.platform()})`;
