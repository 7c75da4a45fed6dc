/**
 * Exit codes are part of the contract: schedulers and CI gates read them.
 *   0 every hypothesis held, 1 a hypothesis deviated,
 *   2 invalid input, 3 the infrastructure failed.
 */
export const ExitCode = {
  ok: 0,
  deviated: 1,
  invalidInput: 2,
  infrastructure: 3,
  interrupted: 130,
} as const;

/** Bad flags, bad sizes, bad experiment files: the user can fix it. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.invalidInput;
}

/** Something on this machine failed: binaries, cgroups, a process that would not start. */
export class InfrastructureError extends Error {
  readonly exitCode = ExitCode.infrastructure;
}

/** Ctrl-C or SIGTERM stopped the work; teardown has run or is running. */
export class AbortedError extends Error {
  readonly exitCode = ExitCode.interrupted;
  constructor() {
    super('interrupted');
  }
}

/**
 * An exception nothing caught, thrown while work was running: a bug in cpchaos. The work is
 * stopped as on Ctrl-C, so what it started is torn down, and the process then fails with this.
 */
export class CrashError extends Error {
  readonly exitCode = ExitCode.infrastructure;
  constructor(override readonly cause: unknown) {
    super(`cpchaos crashed (a bug; CPCHAOS_DEBUG=1 prints its stack trace): ${messageOf(cause)}`);
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InfrastructureError || error instanceof AbortedError || error instanceof CrashError)
    return error.exitCode;
  return ExitCode.infrastructure;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
