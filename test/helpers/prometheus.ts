import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { freePorts } from '../../src/cluster/ports.js';
import type { ApiserverAccess } from '../../src/core/cluster.js';

/** Debian's Prometheus, installed by scripts/test-system-packages.sh. */
export const prometheusPath = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((file) => fs.existsSync(file));
export const prometheusSkipReason = prometheusPath
  ? undefined
  : "prometheus is not installed (scripts/test-system-packages.sh installs Debian's prometheus as root with apt-get)";

/**
 * A throwaway Prometheus on a free loopback port that scrapes an apiserver's /metrics
 * every second with the given client certificate, as a user's Prometheus scrapes their
 * control plane. Resolves once the first scrape has succeeded; stopped and removed
 * when the test ends.
 */
export async function startPrometheus(t: ExecutionContext, apiserver: ApiserverAccess): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cpchaos-prometheus-'));
  const [port] = await freePorts(1);
  for (const [name, pem] of [
    ['ca.pem', apiserver.caPem],
    ['cert.pem', apiserver.certPem],
    ['key.pem', apiserver.keyPem],
  ] as const)
    await fsp.writeFile(path.join(dir, name), pem ?? '', { mode: 0o600 });
  const target = new URL(apiserver.server);
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'apiserver',
        scheme: 'https',
        tls_config: { ca_file: path.join(dir, 'ca.pem'), cert_file: path.join(dir, 'cert.pem'), key_file: path.join(dir, 'key.pem') },
        static_configs: [{ targets: [target.host] }],
      },
    ],
  };
  await fsp.writeFile(path.join(dir, 'prometheus.yml'), yaml.dump(config));
  const child = execa(
    prometheusPath!,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { reject: false, stdio: 'ignore' },
  );
  t.teardown(async () => {
    child.kill('SIGTERM');
    await child;
    await fsp.rm(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const targets = await fetch(`${url}/api/v1/targets`)
      .then((r) => r.json() as Promise<{ data: { activeTargets: { health: string }[] } }>)
      .catch(() => undefined);
    if (targets?.data.activeTargets.some((a) => a.health === 'up')) return url;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prometheus did not scrape ${apiserver.server} within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
