import { featureGateHistory, gateAt } from './feature-gates.js';
import { defaultKubernetesVersion, etcdForMinor, oldestKubernetesVersion, parseKubernetesVersion } from './versions.js';

function minors(): number[] {
  const oldest = parseKubernetesVersion(oldestKubernetesVersion).minor;
  const newest = parseKubernetesVersion(defaultKubernetesVersion).minor;
  return Array.from({ length: newest - oldest + 1 }, (_, i) => oldest + i);
}

function gateCell(name: string, minor: number): string {
  const state = gateAt(name, minor);
  if (state === 'not yet') return '';
  if (state === 'removed') return 'removed';
  if (!state) return '?';
  const stage = state.stage === 'ga' ? 'GA' : state.stage;
  return state.locked ? `${stage}, locked ${state.defaultValue ? 'on' : 'off'}` : `${stage}, ${state.defaultValue ? 'on' : 'off'}`;
}

/** docs/binaries.md's table of the supported minors, the etcd each runs with, and the LIST/watch feature gates of each. */
export function versionTable(): string {
  const all = minors();
  const header = `| | ${all.map((m) => `1.${m}`).join(' | ')} |`;
  const rule = `|---|${all.map(() => '---').join('|')}|`;
  const etcd = `| etcd | ${all.map((m) => etcdForMinor[m] ?? '').join(' | ')} |`;
  const gates = Object.keys(featureGateHistory).map((name) => `| \`${name}\` | ${all.map((m) => gateCell(name, m)).join(' | ')} |`);
  return [header, rule, etcd, ...gates].join('\n');
}

/** Rewrites the `<!-- versions -->` ... `<!-- /versions -->` block of a Markdown page. */
export function updateVersionTable(markdown: string): string {
  return markdown.replace(
    /<!-- versions[^>]*-->\n[\s\S]*?<!-- \/versions -->/,
    `<!-- versions: generated from src/binaries/versions.ts and feature-gates.ts by \`npm run docs\` -->\n${versionTable()}\n<!-- /versions -->`,
  );
}
