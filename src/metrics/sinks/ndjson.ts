import fs from 'node:fs';
import path from 'node:path';
import type { RunEvent, Sample, Sink } from '../../core/sample.js';
import type { SinkPlugin } from '../../core/plugin.js';

/**
 * metrics.ndjson and events.ndjson in the run folder. Each batch is written with
 * a synchronous append, so a crash loses at most the interval being recorded.
 */
export class NdjsonSink implements Sink {
  readonly name = 'files';
  private readonly samplesFd: number;
  private readonly eventsFd: number;
  samplesWritten = 0;

  constructor(dir: string) {
    this.samplesFd = fs.openSync(path.join(dir, 'metrics.ndjson'), 'a');
    this.eventsFd = fs.openSync(path.join(dir, 'events.ndjson'), 'a');
  }

  writeSamples(samples: Sample[]): void {
    if (samples.length === 0) return;
    fs.writeSync(this.samplesFd, `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
    this.samplesWritten += samples.length;
  }

  writeEvent(event: RunEvent): void {
    fs.writeSync(this.eventsFd, `${JSON.stringify(event)}\n`);
  }

  summary(): { samplesRecorded: number } {
    return { samplesRecorded: this.samplesWritten };
  }

  async close(): Promise<void> {
    fs.closeSync(this.samplesFd);
    fs.closeSync(this.eventsFd);
  }
}

/** The run folder's own files: always on, and what report.html is drawn from. */
export const ndjsonSink: SinkPlugin = {
  name: 'files',
  create: ({ dir }) => new NdjsonSink(dir),
};
