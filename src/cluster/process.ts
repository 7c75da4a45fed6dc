import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { statFields } from '../util/proc-stat.js';

export interface ProcessSpec {
  binary: string;
  args: string[];
  logFile: string;
  /** cgroup.procs of the memory cgroup the process must live in from its first instruction. */
  cgroupProcsFile?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedProcess {
  pid: number;
  child: ChildProcess;
  exited: Promise<ProcessExit>;
}

/**
 * Starts a control-plane process detached in its own process group, so a Ctrl-C
 * at the terminal reaches only the runner, which then tears down in order.
 * A shell joins the cgroup and then execs the binary: the process never runs,
 * even briefly, outside its memory limit, and keeps the shell's pid.
 */
export function startProcess(spec: ProcessSpec): StartedProcess {
  const log = fs.openSync(spec.logFile, 'a');
  const [command, args] = spec.cgroupProcsFile
    ? ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', spec.cgroupProcsFile, spec.binary, ...spec.args]]
    : [spec.binary, spec.args];
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${spec.binary}`);
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { pid: child.pid, child, exited };
}

/** Alive and not a zombie. Works for processes this runner did not start (down --all). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))[0] !== 'Z';
  } catch {
    return false;
  }
}

/** When a process started, in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, names one process for good. */
export function startTicks(pid: number): number | undefined {
  try {
    return Number(statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))[19]);
  } catch {
    return undefined;
  }
}

/** Who started a cluster, recorded beside it. */
export interface Owner {
  pid: number;
  startTicks?: number;
}

export function currentOwner(): Owner {
  return { pid: process.pid, startTicks: startTicks(process.pid) };
}

/**
 * Whether the process that started a cluster still runs: the same pid started at the
 * same moment (a recycled pid is another process). `down --all` leaves such clusters alone.
 */
export function ownerAlive(owner: Owner | undefined): boolean {
  if (!owner || !isAlive(owner.pid)) return false;
  return owner.startTicks === undefined || startTicks(owner.pid) === owner.startTicks;
}

export async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    return (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!isAlive(pid)) return;
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The last lines of a log, for error messages about a process that died at start. */
export async function logTail(file: string, lines = 8): Promise<string> {
  try {
    return (await fsp.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
