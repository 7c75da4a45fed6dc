import { framePodReferences, listPodReferences, type PodReferences } from './pod-references.js';
import type { ObjectSink } from './reflector.js';
import type { InformerTarget } from './types.js';

/** The stats type of an agent kind's object watches: counted apart, so that they do not stand in for its informers in synced() and watching(). */
export const podObjectsType = (type: string): string => `${type}/pod-objects`;

/** Starts one object's reflector; the function returned stops it. */
export type StartObjectReflector = (target: InformerTarget) => () => void;

/**
 * The kubelet's watch-based Secret and ConfigMap managers (pkg/kubelet/util/manager), fed by its
 * pod informer: a pod it syncs registers every object it references, and the first reference to
 * an object starts a reflector on that one object (fieldSelector metadata.name, in its
 * namespace); the last reference going stops it. A pod re-registered adds its new references
 * before it drops its old ones, so an object both name is never restarted.
 *
 * Not modelled: the managers also stop a reflector whose object is immutable once read, and one
 * not read for 5 minutes (an object only env or imagePullSecrets name is read when a container
 * starts); here every referenced object is watched for as long as a live pod references it.
 */
export class PodObjectWatches implements ObjectSink {
  private readonly registered = new Map<string, string[]>();
  private readonly watched = new Map<string, { references: number; stop: () => void }>();

  constructor(private readonly start: StartObjectReflector) {}

  /** How many objects are watched now. */
  get watches(): number {
    return this.watched.size;
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
    for (const { stop } of this.watched.values()) stop();
    this.watched.clear();
    this.registered.clear();
  }

  private sync(pod: PodReferences): void {
    if (!pod.active) {
      this.unregister(pod.key);
      return;
    }
    const objects = [...pod.configMaps.map((name) => `configmaps/${pod.namespace}/${name}`), ...pod.secrets.map((name) => `secrets/${pod.namespace}/${name}`)];
    for (const object of objects) this.reference(object);
    const previous = this.registered.get(pod.key);
    this.registered.set(pod.key, objects);
    for (const object of previous ?? []) this.dereference(object);
  }

  private unregister(key: string): void {
    const previous = this.registered.get(key);
    this.registered.delete(key);
    for (const object of previous ?? []) this.dereference(object);
  }

  private reference(object: string): void {
    const watch = this.watched.get(object);
    if (watch) {
      watch.references++;
      return;
    }
    const [resource, namespace, name] = object.split('/') as [string, string, string];
    const stop = this.start({ resource, path: `/api/v1/namespaces/${namespace}/${resource}`, fieldSelector: `metadata.name=${name}` });
    this.watched.set(object, { references: 1, stop });
  }

  private dereference(object: string): void {
    const watch = this.watched.get(object);
    if (!watch || --watch.references > 0) return;
    this.watched.delete(object);
    watch.stop();
  }
}
