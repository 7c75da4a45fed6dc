import fs from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, formatDuration } from '../units.js';
import type { Summary } from './summary.js';

const mark: Record<string, string> = { held: 'held', deviated: '**DEVIATED**', 'no-data': '**NO DATA**', 'not-checked': 'not checked' };

export function markdownReport(summary: Summary): string {
  const lines = [
    `# ${summary.experiment.name}: ${summary.status.toUpperCase()}`,
    '',
    summary.experiment.description ?? '',
    '',
    `- run: \`${summary.runId}\`, ${summary.startedAt} (${formatDuration(summary.durationMs)}), exit code ${summary.exitCode}`,
    `- experiment file: \`${summary.experiment.file}\``,
  ];
  if (summary.cluster) {
    const limits =
      Object.entries(summary.cluster.memoryLimits)
        .map(([c, b]) => `${c} ${formatBytes(b)}`)
        .join(', ') || 'none';
    lines.push(`- cluster: ${summary.cluster.provider} \`${summary.cluster.name}\`, Kubernetes ${summary.cluster.kubernetesVersion}, memory limits: ${limits}`);
  }
  if (summary.message) lines.push(`- ${summary.message}`);
  if (summary.runner?.saturated)
    lines.push(`- **the runner was saturated while the faults ran**: ${summary.runner.reasons.join('; ')}; ${summary.runner.advice ?? ''}`);
  if (summary.influxdb)
    lines.push(
      `- InfluxDB ${summary.influxdb.url}, database \`${summary.influxdb.database}\`: ${summary.influxdb.written} points written, ${summary.influxdb.dropped} dropped`,
    );
  lines.push('', '## Hypotheses', '', '| hypothesis | verdict | observed | expected | window |', '|---|---|---|---|---|');
  for (const v of summary.verdicts) {
    lines.push(
      `| ${v.name} | ${mark[v.status]} | ${v.observedText}${v.detail ? ` (${v.detail})` : ''}${v.runnerSaturated ? `; ${v.runnerSaturated}` : ''} | \`${v.expected}\` | ${v.window ?? ''} |`,
    );
  }
  if (summary.seeded.length) {
    lines.push('', '## Seeding', '', '| set | kind | created | failed | time | objects/s |', '|---|---|---|---|---|---|');
    for (const s of summary.seeded)
      lines.push(`| ${s.set} | ${s.kind} | ${s.created}/${s.requested} | ${s.failed} | ${formatDuration(s.durationMs)} | ${s.objectsPerSecond.toFixed(0)} |`);
  }
  if (summary.client.length) {
    lines.push('', '## Runner requests', '', '| verb | resource | requests | status codes | received | p50 | p99 | max |', '|---|---|---|---|---|---|---|---|');
    for (const c of summary.client) {
      const codes = Object.entries(c.codes)
        .map(([code, n]) => `${code}: ${n}`)
        .join(', ');
      lines.push(
        `| ${c.verb} | ${c.resource} | ${c.requests} | ${codes} | ${formatBytes(c.bytes)} | ${c.p50Ms.toFixed(0)}ms | ${c.p99Ms.toFixed(0)}ms | ${c.maxMs.toFixed(0)}ms |`,
      );
    }
  }
  if (summary.fleet.length) {
    lines.push(
      '',
      '## Simulated agents',
      '',
      '| agent | agents | LISTs | relists | LIST bytes | watch events | LISTs by resourceVersion | requests |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const f of summary.fleet) {
      const rvs = Object.entries(f.resourceVersions)
        .map(([rv, n]) => `${rv === '' ? '"" (quorum)' : rv}: ${n}`)
        .join(', ');
      const requests = Object.entries(f.requests ?? {})
        .map(([what, n]) => `${what}: ${n}`)
        .join(', ');
      lines.push(`| ${f.agent} | ${f.agents} | ${f.lists} | ${f.relists} | ${formatBytes(f.listBytes)} | ${f.watchEvents} | ${rvs} | ${requests} |`);
    }
  }
  lines.push('', '## Phases', '', '| phase | start | duration |', '|---|---|---|');
  for (const p of summary.phases) lines.push(`| ${p.phase} | ${p.start} | ${p.durationMs === undefined ? '-' : formatDuration(p.durationMs)} |`);
  lines.push('', '## Binaries', '', '| binary | source | version |', '|---|---|---|');
  for (const b of summary.binaries) lines.push(`| ${b.name} | ${b.source}${b.cachedFrom ? ` (${b.cachedFrom})` : ''} | ${b.reportedVersion} |`);
  lines.push('', `OOM kills: ${summary.events.oomKills}, restarts: ${summary.events.restarts}, samples recorded: ${summary.samplesRecorded}.`, '');
  return lines.join('\n');
}

export async function writeMarkdown(dir: string, summary: Summary): Promise<void> {
  await fs.writeFile(path.join(dir, 'report.md'), markdownReport(summary));
}
