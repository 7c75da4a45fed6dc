import type { HistoryEntry } from './entries.js';

/** Leaves of a JSON value by path: "cluster.memoryLimits.apiserver" -> "1Gi", "seed[0].count" -> 300. */
function leaves(value: unknown, at = '', into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) value.forEach((item, i) => leaves(item, `${at}[${i}]`, into));
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) leaves(item, at ? `${at}.${key}` : key, into);
  else into.set(at, JSON.stringify(value));
  return into;
}

/** What a run's name and judging say of it, not what it did to the cluster. */
const notTheSetup = /^(metadata|hypotheses|variants|metrics)(\.|\[|$)/;

/** The experiment's settings that differ between two runs: feature gates, memory limits, the shape (seed, agents, faults). */
function settingChanges(before: HistoryEntry, after: HistoryEntry): string[] {
  if (!before.ran || !after.ran) return [];
  const a = leaves(before.ran);
  const b = leaves(after.ran);
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => !notTheSetup.test(p)).sort();
  return paths.filter((p) => a.get(p) !== b.get(p)).map((p) => `${p}: ${a.get(p) ?? '(unset)'} → ${b.get(p) ?? '(unset)'}`);
}

/** Everything that changed from one point to the next: the Kubernetes version, cpchaos's version, the experiment's settings. */
export function changesBetween(before: HistoryEntry | undefined, after: HistoryEntry, most = 8): string[] {
  if (!before) return [];
  const changes: string[] = [];
  if (before.kubernetesVersion && after.kubernetesVersion && before.kubernetesVersion !== after.kubernetesVersion)
    changes.push(`Kubernetes ${before.kubernetesVersion} → ${after.kubernetesVersion}`);
  if (before.cpchaosVersion !== after.cpchaosVersion && (before.cpchaosVersion || after.cpchaosVersion))
    changes.push(`cpchaos ${before.cpchaosVersion ?? '(unknown)'} → ${after.cpchaosVersion ?? '(unknown)'}`);
  const settings = settingChanges(before, after);
  changes.push(...settings.slice(0, most), ...(settings.length > most ? [`and ${settings.length - most} more settings`] : []));
  return changes;
}
