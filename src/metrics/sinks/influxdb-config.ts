import { UsageError } from '../../errors.js';
import { Type, type Static } from '@sinclair/typebox';
import { PositiveInt, Strict } from '../../experiment/schema-parts.js';

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

/** `metrics.influxdb` of an experiment. */
export const InfluxdbSchema = Strict(
  {
    url: Type.String({ pattern: '^https?://[^/@]+(:\\d+)?/?$', description: 'http(s)://host:port of an InfluxDB 1.x server (no credentials in it)' }),
    database: Type.String({ minLength: 1, description: 'database to write to; created if missing' }),
    username: Type.Optional(Type.String()),
    passwordEnv: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description: 'environment variable holding the password (default CPCHAOS_INFLUXDB_PASSWORD); never the password itself',
      }),
    ),
    batchSize: Type.Optional(PositiveInt('points per write request (default 5000)')),
    maxBuffer: Type.Optional(PositiveInt('points held while the server is down or slow; older ones are dropped beyond it (default 200000)')),
  },
  { description: 'also send every sample and event to InfluxDB 1.x (measurement per metric; tags run_id, experiment, variant and the labels)' },
);

export type InfluxdbConfig = Static<typeof InfluxdbSchema>;

export const defaultPasswordEnv = 'CPCHAOS_INFLUXDB_PASSWORD';

/**
 * `--influxdb http://[user@]host:port/database` -> the experiment's form. A password
 * in the URL is refused: it would end up in shell history and process listings.
 */
export function parseInfluxFlag(text: string): InfluxdbConfig {
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
  config: InfluxdbConfig | undefined,
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
