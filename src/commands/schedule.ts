import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { write } from './shared.js';

interface ScheduleFlags {
  cron: string;
  image: string;
  namespace: string;
  name: string;
  resultsClaim?: string;
  resultsSize: string;
  storageClass?: string;
  history: string;
  influxdb?: string;
  timeZone?: string;
  out?: string;
}

export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description(
      'write the manifests that run experiments on a schedule inside the cluster they target: a CronJob, its ServiceAccount and RBAC, a ConfigMap of the experiments, a results claim',
    )
    .argument('<experiments...>', 'experiment YAML files, all with provider: existing and one context (the cluster the manifests go to)')
    .requiredOption('--cron <expression>', "when to run, in cron syntax, e.g. '0 3 * * *'")
    .requiredOption(
      '--image <ref>',
      'the cpchaos image: build the Dockerfile and push it to your registry, or on kind `cpchaos image --load-kind NAME` (it prints the ref)',
    )
    .option('--namespace <namespace>', 'namespace of the CronJob, its ServiceAccount, ConfigMap and claim', 'cpchaos')
    .option('--name <name>', 'name of the CronJob and everything made with it', 'cpchaos')
    .option('--results-claim <name>', 'an existing PersistentVolumeClaim for the run folders (default: a new one named after the CronJob)')
    .option('--results-size <size>', 'size of the new results claim', '1Gi')
    .option(
      '--storage-class <class>',
      "storage class of the new results claim (default: the cluster's default; '' for none, to bind a PersistentVolume you made)",
    )
    .option('--history <n>', 'finished Jobs kept of each outcome, with their logs', '3')
    .option('--influxdb <url>', 'also send each run to InfluxDB 1.x: http://[user@]host:8086/database (password from the Secret <name>-influxdb, key password)')
    .option('--time-zone <zone>', "the CronJob's time zone, e.g. Europe/Berlin (default: the controller-manager's)")
    .option('--out <file>', 'write the manifests here instead of stdout')
    .addHelpText(
      'after',
      `
Apply the output with kubectl apply -f. Each run is \`cpchaos run\` of every experiment, inside the cluster,
with --target-existing <their context> --in-cluster: the context is the pod's own service account, whose
ClusterRole allows exactly what the experiments' seeds, agents, faults and scrapers ask of the API.
Run folders land on the claim under /results/<run-id>; concurrencyPolicy is Forbid.
Run one now: kubectl create job --from=cronjob/<name> <job-name> -n <namespace>`,
    )
    .action((files: string[], flags: ScheduleFlags) => schedule(files, flags));
}

function historyOf(text: string): number {
  const history = Number(text);
  if (!Number.isInteger(history) || history < 0 || history > 100) throw new UsageError(`--history ${text}: a whole number from 0 to 100`);
  return history;
}

async function schedule(files: string[], flags: ScheduleFlags): Promise<void> {
  const { catalog } = await import('../plugins.js');
  const { schedulable } = await import('../schedule/schedulable.js');
  const { scheduleManifests } = await import('../schedule/manifests.js');
  const yaml = (await import('js-yaml')).default;
  const { context, rules, experiments } = await schedulable(files, catalog);
  const history = historyOf(flags.history);
  const manifests = scheduleManifests({
    name: flags.name,
    namespace: flags.namespace,
    cron: flags.cron,
    image: flags.image,
    context,
    experiments,
    rules,
    history,
    influxdb: flags.influxdb,
    timeZone: flags.timeZone,
    results: flags.resultsClaim
      ? { claim: flags.resultsClaim }
      : { claim: `${flags.name}-results`, create: { size: flags.resultsSize, storageClass: flags.storageClass } },
  });
  const text = manifests.map((m) => yaml.dump(m, { lineWidth: -1, noRefs: true })).join('---\n');
  if (flags.out) {
    await fs.mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
    await fs.writeFile(flags.out, text);
  } else write(text.trimEnd());
}
