import { framePodReferences, listObjects, listPodReferences, objectImmutable, type PodReferences } from './pod-references.js';
import type { ObjectSink } from './reflector.js';
import type { InformerTarget } from './types.js';

/** The stats type of an agent kind's object watches: counted apart, so that they do not stand in for its informers in synced() and watching(). */
export const podObjectsType = (type: string): string => `${type}/pod-objects`;

/** One object's reflector as the managers hold it: stopped and run again, it goes on from where it was. */
export interface ObjectReflector {
  stop(): void;
  /** The resourceVersion it last synced: where it resumes when run again. */
  lastSynced(): string;
}

/** Starts one object's reflector (from `resumeFrom` if it ran before), handing what it lists and watches to `objects`. */
export type StartObjectReflector = (target: InformerTarget, objects: ObjectSink, resumeFrom?: string) => ObjectReflector;

/** How the managers keep time: the clock, and a task every `ms` (the function returned cancels it). */
export interface ManagerClock {
  now(): number;
  every(ms: number, task: () => void): () => void;
}

const realClock: ManagerClock = {
  now: () => Date.now(),
  every: (ms, task) => {
    const timer = setInterval(task, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

/** The kubelet's syncFrequency: how often it syncs a pod, and so reads the objects its volumes and pull secrets name. */
const syncEveryMs = 60_000;
/** NewWatchBasedManager's maxIdleTime: 5 resync intervals; its recycler looks once a minute. */
const maxIdleMs = 5 * syncEveryMs;

interface Item {
  target: InformerTarget;
  references: number;
  /** References from pods that read it at every sync (a volume, a pull secret), not only at container start. */
  oftenReferences: number;
  reflector?: ObjectReflector;
  resumeFrom?: string;
  synced: boolean;
  immutable: boolean;
  lastAccess: number;
}

/**
 * The kubelet's watch-based Secret and ConfigMap managers (pkg/kubelet/util/manager), fed by its
 * pod informer. A pod it syncs registers every object it names; the first reference to an object
 * starts a reflector on that one object (fieldSelector metadata.name in its namespace), the last
 * reference going stops it. A pod re-registered adds its new references before it drops its old.
 * As the kubelet reads them: a new pod's objects when it starts, its volumes' and pull secrets'
 * at every sync (each minute); a reflector whose object is immutable stops once read, and one not
 * read for 5 minutes stops at the next minute's look (an object only env names), to run again,
 * from where it was, when read again.
 */
export class PodObjectWatches implements ObjectSink {
  private readonly registered = new Map<string, { objects: string[]; envOnly: Set<string> }>();
  private readonly items = new Map<string, Item>();
  private readonly cancelTick: () => void;

  constructor(
    private readonly start: StartObjectReflector,
    private readonly clock: ManagerClock = realClock,
  ) {
    this.cancelTick = clock.every(syncEveryMs, () => this.tick());
  }

  /** How many objects are watched now. */
  get watches(): number {
    return [...this.items.values()].filter((item) => item.reflector).length;
  }

  replace(objects: { pages: Buffer[] } | { frames: (Buffer | string)[] }): void {
    const pods = 'pages' in objects ? objects.pages.flatMap(listPodReferences) : objects.frames.map(framePodReferences);
    const live = new Set(pods.map((pod) => pod.key));
    for (const pod of pods) this.sync(pod);
    for (const key of [...this.registered.keys()]) if (!live.has(key)) this.unregister(key);
  }

  event(type: string, raw: Buffer | string): void {
    const pod = framePodReferences(raw);
    if (type === 'DELETED') this.unregister(pod.key);
    else this.sync(pod);
  }

  stop(): void {
    this.cancelTick();
    for (const item of this.items.values()) item.reflector?.stop();
    this.items.clear();
    this.registered.clear();
  }

  private sync(pod: PodReferences): void {
    if (!pod.active) {
      this.unregister(pod.key);
      return;
    }
    const objects = [...pod.configMaps.map((name) => `configmaps/${pod.namespace}/${name}`), ...pod.secrets.map((name) => `secrets/${pod.namespace}/${name}`)];
    const envOnly = new Set(pod.envOnly.map((object) => object.replace('/', `/${pod.namespace}/`)));
    for (const object of objects) this.reference(object, !envOnly.has(object));
    const previous = this.registered.get(pod.key);
    this.registered.set(pod.key, { objects, envOnly });
    for (const object of previous?.objects ?? []) this.dereference(object, !previous!.envOnly.has(object));
    // A new pod's containers start: every object it names is read. A pod synced again reads its volumes' and pull secrets'.
    for (const object of objects) if (!previous || !envOnly.has(object)) this.access(this.items.get(object)!);
  }

  private unregister(key: string): void {
    const previous = this.registered.get(key);
    this.registered.delete(key);
    for (const object of previous?.objects ?? []) this.dereference(object, !previous!.envOnly.has(object));
  }

  private reference(object: string, often: boolean): void {
    let item = this.items.get(object);
    if (!item) {
      const [resource, namespace, name] = object.split('/') as [string, string, string];
      const target = { resource, path: `/api/v1/namespaces/${namespace}/${resource}`, fieldSelector: `metadata.name=${name}` };
      item = { target, references: 0, oftenReferences: 0, synced: false, immutable: false, lastAccess: this.clock.now() };
      this.items.set(object, item);
      this.run(item);
    }
    item.references++;
    if (often) item.oftenReferences++;
  }

  private dereference(object: string, often: boolean): void {
    const item = this.items.get(object);
    if (!item) return;
    if (often) item.oftenReferences--;
    if (--item.references > 0) return;
    this.items.delete(object);
    item.reflector?.stop();
  }

  private run(item: Item): void {
    const sink: ObjectSink = {
      replace: (objects) => this.synced(item, 'pages' in objects ? objects.pages.flatMap(listObjects) : objects.frames),
      event: (type, raw) => {
        if (type !== 'DELETED') this.synced(item, [raw]);
      },
    };
    item.reflector = this.start(item.target, sink, item.resumeFrom);
  }

  /** Its store has synced: a Get waiting on it returns, and an immutable object stops its reflector for good. */
  private synced(item: Item, objects: (Buffer | string)[]): void {
    item.synced = true;
    if (objects.some((raw) => objectImmutable(raw, item.target.resource))) {
      item.immutable = true;
      this.halt(item);
    }
  }

  /** A Get: its time is kept, and a reflector stopped while idle runs again. */
  private access(item: Item): void {
    item.lastAccess = this.clock.now();
    if (!item.reflector && !item.immutable) this.run(item);
  }

  private halt(item: Item): void {
    if (!item.reflector) return;
    item.resumeFrom = item.reflector.lastSynced();
    item.reflector.stop();
    item.reflector = undefined;
    // Its store no longer counts as synced (unsetInitialized), but an immutable object's stays.
    if (!item.immutable) item.synced = false;
  }

  /** Each minute: the pods' syncs read what their volumes and pull secrets name; what nobody read for 5 minutes stops. */
  private tick(): void {
    const now = this.clock.now();
    for (const item of this.items.values()) {
      if (item.oftenReferences > 0) this.access(item);
      else if (item.reflector && item.synced && now > item.lastAccess + maxIdleMs) this.halt(item);
    }
  }
}
