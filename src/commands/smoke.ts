import type { Command } from 'commander';
import { withInterrupt } from '../interrupt.js';
import { binDirOption, kubernetesVersionOption, note, write } from './shared.js';

/**
 * Proves the machine can run a control plane: up, a create/list/delete round trip
 * through @kubernetes/client-node, down. The README's first command until the
 * experiment runner exists.
 */
export function registerSmoke(program: Command): void {
  program
    .command('smoke')
    .description('start a local control plane, create, list and delete configmaps through it, and tear it down')
    .option('--objects <n>', 'configmaps to create', (v) => Number.parseInt(v, 10), 100)
    .addOption(kubernetesVersionOption())
    .addOption(binDirOption())
    .action(async (flags: { objects: number; kubernetesVersion: string; binDir?: string }) => {
      const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
      const { LocalProvider } = await import('../cluster/local.js');
      await withInterrupt(async (signal) => {
        const upStarted = Date.now();
        const cluster = await new LocalProvider().up(
          { kubernetesVersion: flags.kubernetesVersion, components: [], memoryLimits: {}, apiserverArgs: {}, featureGates: {}, binDir: flags.binDir },
          { signal, onProgress: note },
        );
        try {
          write(`up: ${((Date.now() - upStarted) / 1000).toFixed(1)}s (${cluster.binaries.map((b) => `${b.name} ${b.reportedVersion}`).join(', ')})`);
          const kc = new KubeConfig();
          kc.loadFromFile(cluster.kubeconfigPath);
          const core = kc.makeApiClient(CoreV1Api);
          const namespace = 'cpchaos-smoke';
          await core.createNamespace({ body: { metadata: { name: namespace } } });
          let at = Date.now();
          for (let i = 0; i < flags.objects && !signal.aborted; i++) {
            await core.createNamespacedConfigMap({
              namespace,
              body: { metadata: { name: `smoke-${i}`, labels: { 'cpchaos.io/smoke': 'true' } }, data: { index: String(i) } },
            });
          }
          write(`created ${flags.objects} configmaps: ${Date.now() - at}ms`);
          at = Date.now();
          const list = await core.listNamespacedConfigMap({ namespace, labelSelector: 'cpchaos.io/smoke=true' });
          write(`listed ${list.items.length} configmaps: ${Date.now() - at}ms`);
          if (list.items.length !== flags.objects) throw new Error(`expected ${flags.objects} configmaps, listed ${list.items.length}`);
          at = Date.now();
          await core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector: 'cpchaos.io/smoke=true' });
          write(`deleted them: ${Date.now() - at}ms`);
        } finally {
          await cluster.down();
          note(`cluster "${cluster.name}" removed`);
        }
      });
    });
}
