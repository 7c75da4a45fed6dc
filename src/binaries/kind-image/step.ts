import type { WriteStream } from 'node:fs';
import { execa, type Options } from 'execa';

/** What every stage of the image build shares: where to say what it does, where the commands' output goes, and Ctrl-C. */
export interface Step {
  progress(text: string): void;
  log: WriteStream;
  signal?: AbortSignal;
}

/**
 * Runs one command of the build: its output goes to the build log, and a failure
 * names the command and the last lines of what it printed (the whole is in the log).
 */
export async function run(step: Step, command: string, args: string[], options: Options = {}): Promise<string> {
  step.log.write(`$ ${command} ${args.join(' ')}\n`);
  const result = await execa(command, args, {
    ...options,
    reject: false,
    all: true,
    cancelSignal: step.signal,
    stdin: options.input === undefined && options.inputFile === undefined ? 'ignore' : undefined,
  });
  const all = String(result.all ?? '');
  step.log.write(all.length > 20_000 ? `${all.slice(0, 2_000)}\n...\n${all.slice(-8_000)}\n` : `${all}\n`);
  if (step.signal?.aborted) throw step.signal.reason instanceof Error ? step.signal.reason : new Error('interrupted');
  if (result.exitCode !== 0) {
    const tail = all.trim().split('\n').slice(-6).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} failed (exit ${result.exitCode ?? result.signal}):\n${tail}`);
  }
  return String(result.stdout ?? '');
}
