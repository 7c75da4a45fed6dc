import { isEvent, type RunEvent } from '../core/sample.js';
import { formatDuration } from '../units.js';
import { startProgress, type Progress } from './progress.js';

/**
 * How a run talks while it runs:
 * - tty: a status line redrawn in place (phase, elapsed, seeding, gauges), events printed above it;
 * - plain: timestamped lines (CI logs), gauges every `plainGaugeIntervalMs`;
 * - json: every event as one JSON line on stdout, nothing else while running;
 * - quiet: nothing while running.
 */
export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet';

export function outputMode(flags: { quiet?: boolean; json?: boolean }, stream: NodeJS.WriteStream = process.stderr): OutputMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  return stream.isTTY ? 'tty' : 'plain';
}

export interface RunOutput {
  readonly mode: OutputMode;
  event(event: RunEvent): void;
  /** A line for people that is not an event (a build's progress, a sink's trouble). */
  line(text: string): void;
  /** The key gauges, refreshed every recording round. */
  gauges(text: string): void;
  /** Progress of one long task (seeding a set). */
  progress(label: string): Progress;
  /** Takes the status line off the terminal so others can print (it comes back on the next tick). */
  clear(): void;
  close(): void;
}

interface Streams {
  stderr: NodeJS.WriteStream;
  stdout: NodeJS.WritableStream;
}

export function createRunOutput(
  mode: OutputMode,
  streams: Streams = { stderr: process.stderr, stdout: process.stdout },
  plainGaugeIntervalMs = 15_000,
): RunOutput {
  const { stderr, stdout } = streams;
  const started = Date.now();
  let phase = 'starting';
  let gauges = '';
  const tasks = new Map<string, string>();
  let statusShown = false;
  let lastPlainGauges = 0;

  const statusLine = () => {
    const parts = [`${phase} ${formatDuration(Date.now() - started)}`, ...[...tasks].map(([label, text]) => `${label} ${text}`), gauges].filter(Boolean);
    return parts.join(' | ').slice(0, Math.max(20, (stderr.columns || 120) - 1));
  };
  const clearStatus = () => {
    if (statusShown) stderr.write('\r\x1b[K');
    statusShown = false;
  };
  const drawStatus = () => {
    stderr.write(`\r\x1b[K${statusLine()}`);
    statusShown = true;
  };
  // While provisioning, a binary build may be drawing its own progress line.
  const timer = mode === 'tty' ? setInterval(() => phase !== 'provision' && drawStatus(), 1000) : undefined;
  timer?.unref();
  const stamp = () => new Date().toISOString();

  const print = (text: string) => {
    if (mode === 'tty') {
      clearStatus();
      stderr.write(`${text}\n`);
      if (phase !== 'provision') drawStatus();
    } else if (mode === 'plain') {
      stderr.write(`${stamp()} ${text}\n`);
    }
  };

  return {
    mode,
    event(event) {
      if (isEvent(event, 'phase')) phase = event.phase;
      if (mode === 'json') {
        stdout.write(`${JSON.stringify(event)}\n`);
        return;
      }
      if (isEvent(event, 'phase') && !event.message) return;
      print(mode === 'tty' ? `${new Date(event.t).toISOString().slice(11, 19)} ${event.type}: ${event.message}` : `${event.type}: ${event.message}`);
    },
    line(text) {
      print(text);
    },
    gauges(text) {
      gauges = text;
      if (mode === 'plain' && text && Date.now() - lastPlainGauges >= plainGaugeIntervalMs) {
        lastPlainGauges = Date.now();
        print(`${phase}: ${text}`);
      }
    },
    progress(label) {
      if (mode !== 'tty') return startProgress(label, { stream: stderr, quiet: mode !== 'plain' });
      tasks.set(label, '');
      return {
        update(text) {
          tasks.set(label, text);
        },
        done(text) {
          tasks.delete(label);
          print(`${label}: ${text}`);
        },
      };
    },
    clear() {
      if (mode === 'tty') clearStatus();
    },
    close() {
      if (timer) clearInterval(timer);
      if (mode === 'tty') clearStatus();
    },
  };
}
