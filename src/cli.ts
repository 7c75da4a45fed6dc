import { Command, CommanderError } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerBinaries } from './commands/binaries.js';
import { registerCapacity } from './commands/capacity.js';
import { registerCompare } from './commands/compare.js';
import { registerDown } from './commands/down.js';
import { registerHistory } from './commands/history.js';
import { registerImage } from './commands/image.js';
import { registerModel } from './commands/model.js';
import { registerProfile } from './commands/profile.js';
import { registerSmoke } from './commands/smoke.js';
import { registerStatus } from './commands/status.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerSchedule } from './commands/schedule.js';
import { registerSchema } from './commands/schema.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';
import { ExitCode, exitCodeOf, messageOf } from './errors.js';
import { ExperimentError } from './experiment/load.js';
import { cpchaosVersion } from './version.js';

const exitCodes = `
Exit codes:
  0  success (for experiments: every hypothesis held)
  1  an experiment hypothesis deviated
  2  invalid input (flags, sizes, experiment files)
  3  infrastructure failure (binaries, cgroups, a process that would not start),
     or cpchaos crashed (a bug): it tears down first, as on Ctrl-C
  130 interrupted (Ctrl-C); everything started was torn down

Environment:
  CPCHAOS_BIN_DIR, CPCHAOS_KUBE_APISERVER, CPCHAOS_ETCD, ...  use these binaries first
  CPCHAOS_NO_DOWNLOAD=1      skip the release downloads (machines without internet)
  CPCHAOS_CACHE_DIR          binary cache (default $XDG_CACHE_HOME/cpchaos)
  CPCHAOS_STATE_DIR          cluster state (default $XDG_STATE_HOME/cpchaos)
  CPCHAOS_CGROUP_PARENT      cgroup folder to create memory cgroups under
  CPCHAOS_DEBUG=1            print the stack trace of an error or a crash
  CPCHAOS_INFLUXDB_PASSWORD  InfluxDB password for --influxdb / metrics.influxdb (never in files)
  KUBECONFIG                 default kubeconfig of the existing provider (cluster.kubeconfig wins)
`;

export function buildProgram(): Command {
  const program = new Command('cpchaos')
    .description('Chaos experiments for Kubernetes control planes: real etcd and kube-apiserver, real memory limits, real OOM kills.')
    .version(cpchaosVersion)
    // One line per error, prefixed like our own errors, so scripts and people see the same shape.
    .configureOutput({ outputError: (text, write) => write(`cpchaos: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`) })
    .addHelpText('after', exitCodes)
    .exitOverride();
  registerRun(program);
  registerValidate(program);
  registerCompare(program);
  registerReport(program);
  registerCapacity(program);
  registerHistory(program);
  registerSchedule(program);
  registerModel(program);
  registerProfile(program);
  registerUp(program);
  registerDown(program);
  registerStatus(program);
  registerBinaries(program);
  registerImage(program);
  registerSmoke(program);
  registerSchema(program);
  registerAgent(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command may set its own code (run: 1 when a hypothesis deviated).
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every parse error is invalid input.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    // Experiment problems already start with file:line:column, one per line.
    const lines = error instanceof ExperimentError ? error.problems : [`cpchaos: ${messageOf(error)}`];
    process.stderr.write(`${lines.join('\n')}\n`);
    if (process.env.CPCHAOS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
}

// `cpchaos run --help | head` closes our stdout early: that is the reader being done, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv);
