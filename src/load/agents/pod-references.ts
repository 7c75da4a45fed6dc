/**
 * The Secrets and ConfigMaps a pod references, as the kubelet's podutil.VisitPodSecretNames and
 * VisitPodConfigmapNames find them: volumes (secret, configMap, projected sources, a CSI
 * volume's nodePublishSecretRef), every container's env and envFrom (init and ephemeral
 * containers too), and imagePullSecrets. The in-tree volume plugins that name a secret (iSCSI,
 * RBD, CephFS, FlexVolume, Azure File, ScaleIO, StorageOS) are not read.
 *
 * Read from protobuf by field number (k8s.io/api core/v1 generated.proto) or from JSON.
 */
import { child, stringField, unwrap, walk } from './frames.js';

export interface PodReferences {
  /** namespace/name, as client-go's MetaNamespaceKeyFunc. */
  key: string;
  namespace: string;
  /** False once the kubelet stops syncing it: deletion requested, or a terminal phase (Succeeded, Failed). */
  active: boolean;
  configMaps: string[];
  secrets: string[];
  /**
   * The objects ("configmaps/<name>", "secrets/<name>") named only by env and envFrom: the
   * kubelet reads those when a container starts, the others (volumes, pull secrets) at every
   * sync of the pod, about once a minute.
   */
  envOnly: string[];
}

type Range = [number, number];

/** Names a pod gives: what its volumes and pull secrets name, or (apart) what its containers' env names. */
interface Named {
  configMaps: Set<string>;
  secrets: Set<string>;
}
const named = (): Named => ({ configMaps: new Set(), secrets: new Set() });

/** Every value (as a range) of field `number` of the message in `range`. */
function children(buf: Buffer, [start, end]: Range, number: number): Range[] {
  const found: Range[] = [];
  walk(buf, start, end, (f) => {
    if (f.field === number) found.push([f.start, f.end]);
  });
  return found;
}

/** Follows a path of message fields; the string at the last one. */
function stringAt(buf: Buffer, range: Range | undefined, path: number[]): string | undefined {
  let at = range;
  for (const number of path.slice(0, -1)) at = at && child(buf, at[0], at[1], number);
  return at && stringField(buf, at[0], at[1], path[path.length - 1]!);
}

function add(set: Set<string>, name: string | undefined): void {
  if (name) set.add(name);
}

/** Container (and EphemeralContainerCommon): env 7 (valueFrom 3: configMapKeyRef 3, secretKeyRef 4), envFrom 19 (configMapRef 2, secretRef 3). */
function containerReferences(buf: Buffer, container: Range, { configMaps, secrets }: Named): void {
  for (const env of children(buf, container, 7)) {
    const from = child(buf, env[0], env[1], 3);
    add(configMaps, stringAt(buf, from, [3, 1, 1]));
    add(secrets, stringAt(buf, from, [4, 1, 1]));
  }
  for (const source of children(buf, container, 19)) {
    add(configMaps, stringAt(buf, source, [2, 1, 1]));
    add(secrets, stringAt(buf, source, [3, 1, 1]));
  }
}

/** VolumeSource: secret 6 (secretName 1), configMap 19, projected 26 (sources 1: secret 1, configMap 3), csi 28 (nodePublishSecretRef 5). */
function volumeReferences(buf: Buffer, volume: Range, { configMaps, secrets }: Named): void {
  const source = child(buf, volume[0], volume[1], 2);
  if (!source) return;
  add(secrets, stringAt(buf, source, [6, 1]));
  add(configMaps, stringAt(buf, source, [19, 1, 1]));
  add(secrets, stringAt(buf, source, [28, 5, 1]));
  const projected = child(buf, source[0], source[1], 26);
  for (const projection of projected ? children(buf, projected, 1) : []) {
    add(secrets, stringAt(buf, projection, [1, 1, 1]));
    add(configMaps, stringAt(buf, projection, [3, 1, 1]));
  }
}

/** A Pod message (metadata 1: name 1, namespace 3, deletionTimestamp 9; spec 2; status 3: phase 1). */
export function protobufPodReferences(buf: Buffer, pod: Range = [0, buf.length]): PodReferences {
  const meta = child(buf, pod[0], pod[1], 1);
  const spec = child(buf, pod[0], pod[1], 2);
  const deleting = meta !== undefined && child(buf, meta[0], meta[1], 9) !== undefined;
  const often = named();
  const env = named();
  if (spec) {
    for (const volume of children(buf, spec, 1)) volumeReferences(buf, volume, often);
    for (const container of [...children(buf, spec, 20), ...children(buf, spec, 2)]) containerReferences(buf, container, env);
    for (const ephemeral of children(buf, spec, 34)) {
      const common = child(buf, ephemeral[0], ephemeral[1], 1);
      if (common) containerReferences(buf, common, env);
    }
    for (const pullSecret of children(buf, spec, 15)) add(often.secrets, stringField(buf, pullSecret[0], pullSecret[1], 1));
  }
  const name = { namespace: stringAt(buf, meta, [3]) ?? '', name: stringAt(buf, meta, [1]) ?? '' };
  return references(name, deleting, stringAt(buf, pod, [3, 1]), often, env);
}

function references(
  { namespace, name }: { namespace: string; name: string },
  deleting: boolean,
  phase: string | undefined,
  often: Named,
  env: Named,
): PodReferences {
  const active = !deleting && phase !== 'Succeeded' && phase !== 'Failed';
  const envOnly = [
    ...[...env.configMaps].filter((n) => !often.configMaps.has(n)).map((n) => `configmaps/${n}`),
    ...[...env.secrets].filter((n) => !often.secrets.has(n)).map((n) => `secrets/${n}`),
  ];
  const configMaps = [...new Set([...often.configMaps, ...env.configMaps])];
  const secrets = [...new Set([...often.secrets, ...env.secrets])];
  return { key: `${namespace}/${name}`, namespace, active, configMaps, secrets, envOnly };
}

interface NameRef {
  name?: string;
}
interface JsonContainer {
  env?: { valueFrom?: { configMapKeyRef?: NameRef; secretKeyRef?: NameRef } }[];
  envFrom?: { configMapRef?: NameRef; secretRef?: NameRef }[];
}
interface JsonPod {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: string };
  spec?: {
    volumes?: {
      secret?: { secretName?: string };
      configMap?: NameRef;
      csi?: { nodePublishSecretRef?: NameRef };
      projected?: { sources?: { secret?: NameRef; configMap?: NameRef }[] };
    }[];
    containers?: JsonContainer[];
    initContainers?: JsonContainer[];
    ephemeralContainers?: JsonContainer[];
    imagePullSecrets?: NameRef[];
  };
  status?: { phase?: string };
}

export function jsonPodReferences(pod: JsonPod): PodReferences {
  const often = named();
  const env = named();
  const spec = pod.spec ?? {};
  for (const volume of spec.volumes ?? []) {
    add(often.secrets, volume.secret?.secretName);
    add(often.configMaps, volume.configMap?.name);
    add(often.secrets, volume.csi?.nodePublishSecretRef?.name);
    for (const source of volume.projected?.sources ?? []) {
      add(often.secrets, source.secret?.name);
      add(often.configMaps, source.configMap?.name);
    }
  }
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const variable of container.env ?? []) {
      add(env.configMaps, variable.valueFrom?.configMapKeyRef?.name);
      add(env.secrets, variable.valueFrom?.secretKeyRef?.name);
    }
    for (const source of container.envFrom ?? []) {
      add(env.configMaps, source.configMapRef?.name);
      add(env.secrets, source.secretRef?.name);
    }
  }
  for (const pullSecret of spec.imagePullSecrets ?? []) add(often.secrets, pullSecret.name);
  const meta = pod.metadata ?? {};
  return references({ namespace: meta.namespace ?? '', name: meta.name ?? '' }, meta.deletionTimestamp !== undefined, pod.status?.phase, often, env);
}

/** The pod of a watch frame's object: a protobuf Pod message, or a JSON event line. */
export function framePodReferences(raw: Buffer | string): PodReferences {
  if (typeof raw !== 'string') return protobufPodReferences(raw);
  return jsonPodReferences((JSON.parse(raw) as { object?: JsonPod }).object ?? {});
}

/** The pods of a LIST page's body: a protobuf PodList (items 2) in its envelope, or JSON. */
export function listPodReferences(body: Buffer): PodReferences[] {
  const list = unwrap(body);
  if (list) return children(body, list, 2).map((pod) => protobufPodReferences(body, pod));
  return ((JSON.parse(body.toString('utf8')) as { items?: JsonPod[] }).items ?? []).map(jsonPodReferences);
}

/** Whether a ConfigMap (immutable: field 4) or Secret (field 5) says it is immutable: a protobuf object's message, or a JSON event line or object. */
export function objectImmutable(raw: Buffer | string, resource: string): boolean {
  if (typeof raw === 'string') {
    const parsed = JSON.parse(raw) as { object?: { immutable?: boolean }; immutable?: boolean };
    return (parsed.object ?? parsed).immutable === true;
  }
  const number = resource === 'secrets' ? 5 : 4;
  let immutable = false;
  walk(raw, 0, raw.length, (f) => {
    if (f.field === number && f.end - f.start === 1 && f.value === 1) immutable = true;
  });
  return immutable;
}

/** The objects of a LIST page's body (a protobuf List's items 2 in its envelope, or JSON), each as objectImmutable reads it. */
export function listObjects(body: Buffer): (Buffer | string)[] {
  const list = unwrap(body);
  if (list) return children(body, list, 2).map(([start, end]) => body.subarray(start, end));
  return ((JSON.parse(body.toString('utf8')) as { items?: unknown[] }).items ?? []).map((item) => JSON.stringify(item));
}
