import test from 'ava';
import {
  framePodReferences,
  jsonPodReferences,
  listPodReferences,
  objectImmutable,
  protobufPodReferences,
} from '../../../../src/load/agents/pod-references.js';
import { PodObjectWatches } from '../../../../src/load/agents/pod-object-watches.js';
import type { ObjectSink } from '../../../../src/load/agents/reflector.js';
import { bytesField, envelopeMagic, varintField } from '../../../../src/load/agents/protobuf-write.js';
import type { InformerTarget } from '../../../../src/load/agents/types.js';

const message = (...fields: Buffer[]) => Buffer.concat(fields);
const named = (field: number, name: string) => bytesField(field, bytesField(1, name));
/** A field holding a message whose field 1 is a LocalObjectReference. */
const ref = (field: number, name: string) => bytesField(field, named(1, name));

/** A pod referencing every kind of source, in protobuf by the numbers of k8s.io/api core/v1 generated.proto. */
function protobufPod(options: { deleting?: boolean; phase?: string } = {}): Buffer {
  const meta = message(bytesField(1, 'web-0'), bytesField(3, 'shop'), ...(options.deleting ? [bytesField(9, message(bytesField(1, 'x')))] : []));
  const volumes = [
    bytesField(1, message(bytesField(1, 'v1'), bytesField(2, bytesField(6, bytesField(1, 'tls'))))),
    bytesField(1, message(bytesField(1, 'v2'), bytesField(2, ref(19, 'settings')))),
    bytesField(
      1,
      message(bytesField(1, 'v3'), bytesField(2, bytesField(26, message(bytesField(1, ref(3, 'kube-root-ca.crt')), bytesField(1, ref(1, 'token-extra')))))),
    ),
    bytesField(1, message(bytesField(1, 'v4'), bytesField(2, bytesField(28, message(bytesField(1, 'csi.example'), named(5, 'csi-creds')))))),
  ];
  const container = message(
    bytesField(1, 'app'),
    bytesField(7, message(bytesField(1, 'A'), bytesField(3, ref(3, 'env-config')))),
    bytesField(7, message(bytesField(1, 'B'), bytesField(3, ref(4, 'env-secret')))),
    bytesField(19, ref(2, 'bulk-config')),
    bytesField(19, ref(3, 'bulk-secret')),
  );
  const init = message(bytesField(1, 'init'), bytesField(19, ref(2, 'init-config')));
  const ephemeral = bytesField(1, message(bytesField(1, 'debug'), bytesField(19, ref(3, 'debug-secret'))));
  const spec = message(...volumes, bytesField(2, container), bytesField(15, bytesField(1, 'registry')), bytesField(20, init), bytesField(34, ephemeral));
  return message(bytesField(1, meta), bytesField(2, spec), ...(options.phase ? [bytesField(3, bytesField(1, options.phase))] : []));
}

const jsonPod = {
  metadata: { name: 'web-0', namespace: 'shop' },
  spec: {
    volumes: [
      { name: 'v1', secret: { secretName: 'tls' } },
      { name: 'v2', configMap: { name: 'settings' } },
      {
        name: 'v3',
        projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }, { secret: { name: 'token-extra' } }, { serviceAccountToken: { path: 't' } }] },
      },
      { name: 'v4', csi: { driver: 'csi.example', nodePublishSecretRef: { name: 'csi-creds' } } },
    ],
    initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'init-config' } }] }],
    containers: [
      {
        name: 'app',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'env-config', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'b' } } },
          { name: 'C', value: 'plain' },
        ],
        envFrom: [{ configMapRef: { name: 'bulk-config' } }, { secretRef: { name: 'bulk-secret' } }],
      },
    ],
    ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'debug-secret' } }] }],
    imagePullSecrets: [{ name: 'registry' }],
  },
};

const sorted = (refs: { configMaps: string[]; secrets: string[] }) => ({ configMaps: [...refs.configMaps].sort(), secrets: [...refs.secrets].sort() });
const expected = {
  configMaps: ['bulk-config', 'env-config', 'init-config', 'kube-root-ca.crt', 'settings'],
  secrets: ['bulk-secret', 'csi-creds', 'debug-secret', 'env-secret', 'registry', 'tls', 'token-extra'],
};

test('a pod names its Secrets and ConfigMaps through volumes, projections, CSI, env, envFrom of every container, and pull secrets: protobuf and JSON alike', (t) => {
  const fromProtobuf = protobufPodReferences(protobufPod());
  const fromJson = jsonPodReferences(jsonPod);
  t.is(fromProtobuf.key, 'shop/web-0');
  t.true(fromProtobuf.active);
  t.deepEqual(sorted(fromProtobuf), expected);
  t.deepEqual(sorted(fromJson), expected);
  t.deepEqual({ ...fromJson, ...sorted(fromJson) }, { ...fromProtobuf, ...sorted(fromProtobuf) });
  t.deepEqual(
    [...fromProtobuf.envOnly].sort(),
    ['configmaps/bulk-config', 'configmaps/env-config', 'configmaps/init-config', 'secrets/bulk-secret', 'secrets/debug-secret', 'secrets/env-secret'],
    'what only env and envFrom name: read when a container starts, not at every sync',
  );
});

test('a pod whose deletion was asked, or that ended, is not live: the kubelet no longer registers it', (t) => {
  t.false(protobufPodReferences(protobufPod({ deleting: true })).active);
  t.false(protobufPodReferences(protobufPod({ phase: 'Succeeded' })).active);
  t.false(jsonPodReferences({ ...jsonPod, status: { phase: 'Failed' } }).active);
  t.true(protobufPodReferences(protobufPod({ phase: 'Running' })).active);
});

test('pods from a LIST page (a PodList in its envelope, or JSON) and from a JSON watch line', (t) => {
  const list = Buffer.concat([
    envelopeMagic,
    bytesField(1, bytesField(2, 'PodList')),
    bytesField(2, message(bytesField(1, bytesField(2, '9')), bytesField(2, protobufPod()), bytesField(2, protobufPod()))),
  ]);
  t.deepEqual(listPodReferences(list).map(sorted), [expected, expected]);
  t.deepEqual(listPodReferences(Buffer.from(JSON.stringify({ metadata: {}, items: [jsonPod] }))).map(sorted), [expected]);
  t.deepEqual(sorted(framePodReferences(JSON.stringify({ type: 'ADDED', object: jsonPod }))), expected);
});

/** Object watches started and stopped, by "resource/namespace/name", under a clock the test moves (each minute's look runs as it passes). */
function recorder() {
  const running = new Set<string>();
  const started: { name: string; resumeFrom?: string }[] = [];
  const sinks = new Map<string, ObjectSink>();
  let now = 0;
  let tick = () => undefined as void;
  const clock = {
    now: () => now,
    every: (_ms: number, task: () => void) => {
      tick = task;
      return () => (tick = () => undefined);
    },
  };
  const watches = new PodObjectWatches((target: InformerTarget, objects: ObjectSink, resumeFrom?: string) => {
    const name = `${target.resource}/${target.path.split('/')[4]}/${target.fieldSelector!.replace('metadata.name=', '')}`;
    running.add(name);
    started.push({ name, ...(resumeFrom !== undefined ? { resumeFrom } : {}) });
    sinks.set(name, objects);
    return { stop: () => running.delete(name), lastSynced: () => `rv-of-${name}` };
  }, clock);
  /** Moves the clock by whole minutes, running each minute's look. */
  const minutes = (count: number) => {
    for (let i = 0; i < count; i++) {
      now += 60_000;
      tick();
    }
  };
  return { watches, running, started, sinks, minutes };
}

const podJson = (name: string, configMaps: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'ADDED',
    object: { metadata: { name, namespace: 'ns' }, spec: { volumes: configMaps.map((c) => ({ name: c, configMap: { name: c } })) }, ...extra },
  });

test('one watch per referenced object however many pods name it, stopped with the last reference; a pod re-registered keeps what it still names', (t) => {
  const { watches, running, started } = recorder();
  watches.event('ADDED', podJson('a', ['shared', 'only-a']));
  watches.event('ADDED', podJson('b', ['shared']));
  t.deepEqual([...running].sort(), ['configmaps/ns/only-a', 'configmaps/ns/shared']);
  t.is(watches.watches, 2);
  watches.event('MODIFIED', podJson('a', ['shared', 'new-a']));
  t.deepEqual([...running].sort(), ['configmaps/ns/new-a', 'configmaps/ns/shared']);
  t.is(started.filter((s) => s.name === 'configmaps/ns/shared').length, 1, 'never restarted while referenced');
  watches.event('DELETED', podJson('a', ['shared', 'new-a']));
  t.deepEqual([...running], ['configmaps/ns/shared']);
  watches.event('MODIFIED', podJson('b', ['shared'], { status: { phase: 'Succeeded' } }));
  t.is(running.size, 0);
});

test('a relist replaces the pods: those gone drop their references, the others keep theirs', (t) => {
  const { watches, running } = recorder();
  watches.event('ADDED', podJson('a', ['x']));
  watches.event('ADDED', podJson('b', ['y']));
  watches.replace({ frames: [podJson('b', ['y']), podJson('c', ['z'])] });
  t.deepEqual([...running].sort(), ['configmaps/ns/y', 'configmaps/ns/z']);
  watches.stop();
  t.is(running.size, 0);
});

const envPod = (name: string, secret: string) =>
  JSON.stringify({
    type: 'ADDED',
    object: {
      metadata: { name, namespace: 'ns' },
      spec: { containers: [{ name: 'c', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: secret, key: 'p' } } }] }] },
    },
  });
const synced = (sink: ObjectSink | undefined, object: Record<string, unknown> = {}) => sink!.replace({ frames: [JSON.stringify({ type: 'ADDED', object })] });

test('an object only env names is read when the container starts: not read for 5 minutes, its watch stops at the next look, and runs again from where it was when a new pod reads it', (t) => {
  const { watches, running, started, sinks, minutes } = recorder();
  watches.event('ADDED', envPod('a', 'password'));
  watches.event('ADDED', podJson('b', ['settings']));
  synced(sinks.get('secrets/ns/password'));
  synced(sinks.get('configmaps/ns/settings'));
  minutes(5);
  t.true(running.has('secrets/ns/password'), 'not idle for more than 5 minutes yet');
  minutes(1);
  t.deepEqual([...running], ['configmaps/ns/settings'], "stopped after 6 minutes unread; the volume's ConfigMap is read at every sync");
  t.is(watches.watches, 1);
  watches.event('MODIFIED', envPod('a', 'password'));
  t.false(running.has('secrets/ns/password'), 'a pod synced again does not restart its containers');
  watches.event('ADDED', envPod('c', 'password'));
  t.true(running.has('secrets/ns/password'), "a new pod's container reads it: it runs again");
  t.deepEqual(
    started.filter((s) => s.name === 'secrets/ns/password'),
    [{ name: 'secrets/ns/password' }, { name: 'secrets/ns/password', resumeFrom: 'rv-of-secrets/ns/password' }],
  );
});

test('an immutable object is watched until read once, and not again while pods name it', (t) => {
  const { watches, running, sinks, minutes } = recorder();
  watches.event('ADDED', podJson('a', ['frozen', 'live']));
  synced(sinks.get('configmaps/ns/frozen'), { metadata: { name: 'frozen' }, immutable: true });
  synced(sinks.get('configmaps/ns/live'), { metadata: { name: 'live' } });
  t.deepEqual([...running], ['configmaps/ns/live']);
  minutes(10);
  watches.event('ADDED', podJson('b', ['frozen']));
  t.deepEqual([...running], ['configmaps/ns/live'], 'read again, it is not restarted');
});

test('immutable: a ConfigMap (field 4) or Secret (field 5) in protobuf, or in JSON', (t) => {
  const meta = bytesField(1, bytesField(1, 'x'));
  t.true(objectImmutable(Buffer.concat([meta, varintField(4, 1)]), 'configmaps'));
  t.false(objectImmutable(Buffer.concat([meta, varintField(4, 0)]), 'configmaps'));
  t.false(objectImmutable(meta, 'configmaps'));
  t.true(objectImmutable(Buffer.concat([meta, bytesField(3, 'Opaque'), varintField(5, 1)]), 'secrets'));
  t.false(objectImmutable(Buffer.concat([meta, varintField(4, 1)]), 'secrets'), "a Secret's field 4 is its stringData, not immutable");
  t.true(objectImmutable(JSON.stringify({ type: 'ADDED', object: { immutable: true } }), 'configmaps'));
  t.false(objectImmutable(JSON.stringify({ metadata: {} }), 'secrets'));
});
