import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { InfluxDB } from 'influx';
import { freePorts } from '../../src/cluster/ports.js';

/** Debian's InfluxDB 1.x, installed by scripts/test-system-packages.sh. */
export const influxdPath = ['/usr/bin/influxd', '/usr/local/bin/influxd'].find((file) => fs.existsSync(file));
export const influxSkipReason = influxdPath
  ? undefined
  : "influxd is not installed (scripts/test-system-packages.sh installs Debian's influxdb as root with apt-get)";

export interface InfluxServer {
  url: string;
  client(database: string): InfluxDB;
  /** SIGSTOP: the port still accepts connections, nothing answers (a hung server). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** A throwaway InfluxDB on free loopback ports, its files in a temporary folder. */
export async function startInfluxd(): Promise<InfluxServer> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cpchaos-influxd-'));
  const [httpPort, rpcPort] = await freePorts(2);
  const config = path.join(dir, 'influxdb.conf');
  await fsp.writeFile(
    config,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
`,
  );
  const child: ResultPromise = execa(influxdPath!, ['-config', config], { reject: false, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/ping`).then(
      (r) => r.status === 204,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`influxd did not start on ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    client: (database) => new InfluxDB({ host: '127.0.0.1', port: httpPort!, database }),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await child;
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
