/**
 * kube-burner's side of bench/seed: a job that creates the same pods as cpchaos's seed set
 * (the pods kind of src/load/objects, the same names in the same namespace), and the check
 * that the pods each tool created are equal field by field apart from each tool's own labels.
 */
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { pods } from '../src/load/objects/pods.js';

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { image: string; env: { name: string; value: string }[] }[]; volumes: { configMap?: { name: string } }[] };
}

/** Go template of our pod, with each field that depends on the index spelled in kube-burner's template language (sprig's mod). */
export function kubeBurnerPodTemplate(): string {
  const pod = pods.build({ set: { kind: 'pods', count: 1, name: 'bench' }, index: 0 }) as unknown as Pod;
  const app = 'app-{{mod .Iteration 50}}';
  pod.metadata.name = 'bench-{{.Iteration}}';
  pod.metadata.labels = { ...pod.metadata.labels, app, tier: '{{if eq (mod .Iteration 2) 1}}backend{{else}}frontend{{end}}' };
  pod.metadata.annotations = { ...pod.metadata.annotations, 'cpchaos.io/index': '{{.Iteration}}' };
  const container = pod.spec.containers[0]!;
  container.image = `registry.example.com/team/${app}:1.{{mod .Iteration 10}}.0`;
  container.env = container.env.map((variable, i) => ({ ...variable, value: `value-{{.Iteration}}-${i}` }));
  pod.spec.volumes[0]!.configMap!.name = `${app}-config`;
  return yaml.dump(pod, { lineWidth: -1 });
}

/** `qps` 0 is unpaced: kube-burner reads a qps of 0 as its default of 5, so it gets a limit it never reaches. */
export function kubeBurnerConfig(count: number, qps: number, burst: number): string {
  const unpaced = qps <= 0;
  const job = {
    name: 'bench',
    jobType: 'create',
    jobIterations: count,
    qps: unpaced ? 1_000_000 : qps,
    burst: unpaced ? 1_000_000 : burst,
    namespacedIterations: false,
    namespace: 'bench',
    podWait: false,
    waitWhenFinished: false,
    preLoadImages: false,
    objects: [{ objectTemplate: 'pod.yaml', replicas: 1 }],
  };
  return yaml.dump({ global: { gc: false, measurements: [] }, jobs: [job] });
}

function withoutToolLabels(labels: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !key.startsWith('cpchaos.io/') && !key.startsWith('kube-burner.io/')));
}

/** The first field in which two created pods differ, or undefined when they are equal apart from each tool's labels and the server's bookkeeping. */
export function podDifference(ours: Pod, theirs: Pod): string | undefined {
  if (ours.metadata.name !== theirs.metadata.name) return `name ${ours.metadata.name} vs ${theirs.metadata.name}`;
  if (!isDeepStrictEqual(withoutToolLabels(ours.metadata.labels), withoutToolLabels(theirs.metadata.labels))) return `${ours.metadata.name}: labels`;
  if (!isDeepStrictEqual(ours.metadata.annotations, theirs.metadata.annotations)) return `${ours.metadata.name}: annotations`;
  if (!isDeepStrictEqual(ours.spec, theirs.spec)) return `${ours.metadata.name}: spec`;
  return undefined;
}

export type { Pod };
