import { UsageError } from './errors.js';

const binarySuffixes: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/**
 * Parses a Kubernetes-style quantity of bytes ("512Mi", "2Gi", "1G", "1048576").
 * "2GB" is refused on purpose: it is ambiguous, and a silently wrong memory limit
 * makes an experiment measure the wrong thing.
 */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(text.trim());
  if (!match) {
    throw new UsageError(`invalid size "${text}": expected a number with an optional unit Ki, Mi, Gi, Ti, k, M, G or T (for example 512Mi or 2Gi)`);
  }
  const value = Number(match[1]) * (binarySuffixes[match[2] ?? ''] ?? 1);
  return Math.round(value);
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "250ms", "30s", "5m", "1h", or a compound like "1m30s", into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (durationUnits[match[2] ?? ''] ?? 0);
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new UsageError(`invalid duration "${text}": expected a number with a unit ms, s, m or h (for example 30s or 5m)`);
  }
  return total;
}

/** One decimal by default; `significant` digits instead where a range must stay distinct (1.43 – 1.47 GiB, not 1.4 – 1.5). */
export function formatBytes(bytes: number, significant?: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value.toFixed(0)} ${units[unit]}`;
  return `${significant ? Number(value.toPrecision(significant)) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
