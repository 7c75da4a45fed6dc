import { formatDuration } from '../units.js';

/**
 * One line of progress for long work (a Go build, seeding).
 * On a terminal the line is redrawn in place with the elapsed time; elsewhere
 * (CI logs) a timestamped line is printed at most every `plainIntervalMs`.
 */
export interface Progress {
  update(text: string): void;
  done(text: string): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  quiet?: boolean;
  plainIntervalMs?: number;
}

export function startProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const started = Date.now();
  const interactive = stream.isTTY === true;
  const plainIntervalMs = options.plainIntervalMs ?? 30_000;
  let last = '';
  let lastPlainAt = 0;
  let finished = false;

  const render = () => {
    if (options.quiet || finished) return;
    const elapsed = formatDuration(Date.now() - started);
    if (interactive) {
      const width = (stream.columns || 100) - 1;
      stream.write(`\r\x1b[K${`${label} [${elapsed}] ${last}`.slice(0, width)}`);
    } else if (Date.now() - lastPlainAt >= plainIntervalMs) {
      lastPlainAt = Date.now();
      stream.write(`${new Date().toISOString()} ${label} [${elapsed}] ${last}\n`);
    }
  };
  const timer = setInterval(render, interactive ? 1000 : Math.min(plainIntervalMs, 5000));
  timer.unref();
  render();

  return {
    update(text: string) {
      last = text;
      if (interactive) render();
    },
    done(text: string) {
      finished = true;
      clearInterval(timer);
      if (options.quiet) return;
      const elapsed = formatDuration(Date.now() - started);
      const line = `${label}: ${text} (${elapsed})`;
      stream.write(interactive ? `\r\x1b[K${line}\n` : `${new Date().toISOString()} ${line}\n`);
    },
  };
}
