import { UsageError } from '../../errors.js';
import type { Experiment } from '../../experiment/schema.js';

export interface InfluxSinkOptions {
  /** http(s)://host:port of an InfluxDB 1.x server; credentials do not belong here. */
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** Tags on every point: run id, experiment, variant. */
  tags: Record<string, string>;
  /** Points per write request. */
  batchSize?: number;
  /** Points held while the server is down or slow; beyond it the oldest are dropped. */
  maxBuffer?: number;
  flushIntervalMs?: number;
  /** A write that has not answered by then counts as failed (a stopped server never answers). */
  requestTimeoutMs?: number;
  /** How long close() keeps trying to write what is left. */
  closeTimeoutMs?: number;
}

export const defaultPasswordEnv = 'CPCHAOS_INFLUXDB_PASSWORD';

/**
 * `--influxdb http://[user@]host:port/database` -> the experiment's form. A password
 * in the URL is refused: it would end up in shell history and process listings.
 */
export function parseInfluxFlag(text: string): NonNullable<NonNullable<Experiment['metrics']>['influxdb']> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--influxdb: "${text}" is not a URL; expected http://host:8086/database`);
  }
  if (url.password) throw new UsageError(`--influxdb: no password in the URL; put it in ${defaultPasswordEnv}`);
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
  if (!/^https?:$/.test(url.protocol) || !database || database.includes('/')) throw new UsageError('--influxdb: expected http://host:8086/database');
  return { url: `${url.protocol}//${url.host}`, database, ...(url.username ? { username: decodeURIComponent(url.username) } : {}) };
}

/** The sink's options from the experiment's `metrics.influxdb` or the flag (the flag wins). */
export function influxSinkOptions(
  config: NonNullable<Experiment['metrics']>['influxdb'] | undefined,
  tags: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): InfluxSinkOptions | undefined {
  if (!config) return undefined;
  const password = env[config.passwordEnv ?? defaultPasswordEnv];
  return {
    url: config.url,
    database: config.database,
    ...(config.username ? { username: config.username } : {}),
    ...(password ? { password } : {}),
    ...(config.batchSize ? { batchSize: config.batchSize } : {}),
    ...(config.maxBuffer ? { maxBuffer: config.maxBuffer } : {}),
    tags,
  };
}
