package main

// The kubelet's watch-based Secret and ConfigMap managers (pkg/kubelet/util/manager), fed by its
// pod reflector's store: a live pod registers every object it references, the first reference
// to an object starts a reflector on that object alone (fieldSelector metadata.name in its
// namespace), the last one going stops it. As the kubelet reads them: a new pod's objects when
// it starts, its volumes' and pull secrets' at every sync (each minute); an immutable object's
// reflector stops once synced, one not read for 5 minutes at the next minute's look, and runs
// again when read again.

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

type objectKey struct{ resource, namespace, name string }

// An object cache item of the managers: its reflector, stopped and run again as the kubelet reads the object.
type objectItem struct {
	references      int
	oftenReferences int // from volumes and pull secrets, read at every sync of the pod
	reflector       *cache.Reflector
	stop            context.CancelFunc // nil while stopped
	synced          bool
	immutable       bool
	lastAccess      time.Time
}

type podObjects struct {
	ctx        context.Context
	cs         *kubernetes.Clientset
	mu         sync.Mutex
	registered map[string]registration
	items      map[objectKey]*objectItem
}

type registration struct {
	objects []objectKey
	envOnly map[objectKey]bool
}

// The kubelet's syncFrequency, and the managers' maxIdleTime of 5 of them.
const syncEvery, maxIdle = time.Minute, 5 * time.Minute

func newPodObjects(ctx context.Context, cs *kubernetes.Clientset) *podObjects {
	p := &podObjects{ctx: ctx, cs: cs, registered: map[string]registration{}, items: map[objectKey]*objectItem{}}
	go wait.Until(p.tick, syncEvery, ctx.Done())
	return p
}

// What podutil.VisitPodSecretNames and VisitPodConfigmapNames visit, but the in-tree volume
// plugins' secret references (iSCSI, RBD, CephFS, FlexVolume, Azure File, ScaleIO, StorageOS).
func referencedObjects(pod *v1.Pod) ([]objectKey, map[objectKey]bool) {
	seen := map[objectKey]bool{}
	often := map[objectKey]bool{}
	var keys []objectKey
	reading := true // volumes and pull secrets: read at every sync; env only at container start
	add := func(resource, name string) {
		key := objectKey{resource, pod.Namespace, name}
		if name != "" && !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
		if name != "" && reading {
			often[key] = true
		}
	}
	for _, volume := range pod.Spec.Volumes {
		if volume.Secret != nil {
			add("secrets", volume.Secret.SecretName)
		}
		if volume.ConfigMap != nil {
			add("configmaps", volume.ConfigMap.Name)
		}
		if volume.CSI != nil && volume.CSI.NodePublishSecretRef != nil {
			add("secrets", volume.CSI.NodePublishSecretRef.Name)
		}
		if volume.Projected != nil {
			for _, source := range volume.Projected.Sources {
				if source.Secret != nil {
					add("secrets", source.Secret.Name)
				}
				if source.ConfigMap != nil {
					add("configmaps", source.ConfigMap.Name)
				}
			}
		}
	}
	for _, pullSecret := range pod.Spec.ImagePullSecrets {
		add("secrets", pullSecret.Name)
	}
	reading = false
	containers := append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, ephemeral := range pod.Spec.EphemeralContainers {
		containers = append(containers, v1.Container{Env: ephemeral.Env, EnvFrom: ephemeral.EnvFrom})
	}
	for _, container := range containers {
		for _, env := range container.Env {
			if from := env.ValueFrom; from != nil && from.ConfigMapKeyRef != nil {
				add("configmaps", from.ConfigMapKeyRef.Name)
			}
			if from := env.ValueFrom; from != nil && from.SecretKeyRef != nil {
				add("secrets", from.SecretKeyRef.Name)
			}
		}
		for _, source := range container.EnvFrom {
			if source.ConfigMapRef != nil {
				add("configmaps", source.ConfigMapRef.Name)
			}
			if source.SecretRef != nil {
				add("secrets", source.SecretRef.Name)
			}
		}
	}
	envOnly := map[objectKey]bool{}
	for _, key := range keys {
		if !often[key] {
			envOnly[key] = true
		}
	}
	return keys, envOnly
}

// The kubelet syncs (and registers) a pod until its deletion is asked or it reached a terminal phase.
func live(pod *v1.Pod) bool {
	return pod.DeletionTimestamp == nil && pod.Status.Phase != v1.PodSucceeded && pod.Status.Phase != v1.PodFailed
}

func (p *podObjects) register(pod *v1.Pod) {
	key := pod.Namespace + "/" + pod.Name
	if !live(pod) {
		p.unregister(key)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	objects, envOnly := referencedObjects(pod)
	for _, object := range objects {
		p.reference(object, !envOnly[object])
	}
	previous, known := p.registered[key]
	p.registered[key] = registration{objects, envOnly}
	for _, object := range previous.objects {
		p.dereference(object, !previous.envOnly[object])
	}
	// A new pod's containers start and read every object it names; a pod synced again reads its volumes' and pull secrets'.
	for _, object := range objects {
		if !known || !envOnly[object] {
			p.access(p.items[object])
		}
	}
}

func (p *podObjects) unregister(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	previous := p.registered[key]
	delete(p.registered, key)
	for _, object := range previous.objects {
		p.dereference(object, !previous.envOnly[object])
	}
}

func (p *podObjects) reference(object objectKey, often bool) {
	item, ok := p.items[object]
	if !ok {
		item = &objectItem{lastAccess: time.Now()}
		item.reflector = p.reflector(object, item)
		p.items[object] = item
		p.run(item)
	}
	item.references++
	if often {
		item.oftenReferences++
	}
}

func (p *podObjects) dereference(object objectKey, often bool) {
	item, ok := p.items[object]
	if !ok {
		return
	}
	if often {
		item.oftenReferences--
	}
	if item.references--; item.references == 0 {
		delete(p.items, object)
		p.halt(item)
	}
}

// Runs the item's reflector (again: from the resourceVersion it had synced, as restartReflectorIfNeeded does).
func (p *podObjects) run(item *objectItem) {
	ctx, stop := context.WithCancel(p.ctx)
	item.stop = stop
	go item.reflector.RunWithContext(ctx)
}

func (p *podObjects) halt(item *objectItem) {
	if item.stop == nil {
		return
	}
	item.stop()
	item.stop = nil
	if !item.immutable {
		item.synced = false
	}
}

// A Get of the managers: the access time kept, a reflector stopped while idle run again.
func (p *podObjects) access(item *objectItem) {
	item.lastAccess = time.Now()
	if item.stop == nil && !item.immutable {
		p.run(item)
	}
}

// Each minute: the pods' syncs read their volumes' and pull secrets' objects; what nobody read for 5 minutes stops.
func (p *podObjects) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, item := range p.items {
		if item.oftenReferences > 0 {
			p.access(item)
		} else if item.stop != nil && item.synced && time.Since(item.lastAccess) > maxIdle {
			p.halt(item)
		}
	}
}

// The object's store has synced: a Get waiting on it returns, and an immutable object stops its reflector for good.
func (p *podObjects) synced(item *objectItem, objects ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	item.synced = true
	for _, object := range objects {
		if immutable(object) {
			item.immutable = true
			p.halt(item)
		}
	}
}

func immutable(object any) bool {
	switch o := object.(type) {
	case *v1.ConfigMap:
		return o.Immutable != nil && *o.Immutable
	case *v1.Secret:
		return o.Immutable != nil && *o.Immutable
	}
	return false
}

// An object reflector's store: what it syncs tells the managers.
type objectStore struct {
	cache.Store
	objects *podObjects
	item    *objectItem
}

func (s *objectStore) Replace(list []any, resourceVersion string) error {
	s.objects.synced(s.item, list...)
	return s.Store.Replace(list, resourceVersion)
}

func (s *objectStore) Add(obj any) error {
	s.objects.synced(s.item, obj)
	return s.Store.Add(obj)
}

func (s *objectStore) Update(obj any) error {
	s.objects.synced(s.item, obj)
	return s.Store.Update(obj)
}

// newReflector of the kubelet's objectCache, with the clientset's WatchList semantics as its managers wrap it.
func (p *podObjects) reflector(object objectKey, item *objectItem) *cache.Reflector {
	selector := fields.Set{"metadata.name": object.name}.AsSelector().String()
	var example runtime.Object = &v1.Secret{}
	client := p.cs.CoreV1().Secrets(object.namespace)
	configMaps := p.cs.CoreV1().ConfigMaps(object.namespace)
	lw := &cache.ListWatch{
		ListFunc: func(options metav1.ListOptions) (runtime.Object, error) {
			options.FieldSelector = selector
			if object.resource == "configmaps" {
				return configMaps.List(context.TODO(), options)
			}
			return client.List(context.TODO(), options)
		},
		WatchFunc: func(options metav1.ListOptions) (watch.Interface, error) {
			options.FieldSelector = selector
			if object.resource == "configmaps" {
				return configMaps.Watch(context.TODO(), options)
			}
			return client.Watch(context.TODO(), options)
		},
	}
	if object.resource == "configmaps" {
		example = &v1.ConfigMap{}
	}
	name := "object-" + object.namespace + "/" + object.name
	// The managers wrap it with the clientset's WatchList semantics (client-go 1.35+); a plain ListWatch has the same (supported).
	store := &objectStore{Store: cache.NewStore(cache.MetaNamespaceKeyFunc), objects: p, item: item}
	return cache.NewNamedReflector(name, lw, example, store, 0)
}

// The kubelet's pod store: every pod the reflector adds, updates, deletes or replaces is
// registered with (or dropped from) the object managers, as its pod config source feeds syncPod.
type podStore struct {
	cache.Store
	objects *podObjects
}

func (s *podStore) Add(obj any) error {
	s.objects.register(obj.(*v1.Pod))
	return s.Store.Add(obj)
}

func (s *podStore) Update(obj any) error {
	s.objects.register(obj.(*v1.Pod))
	return s.Store.Update(obj)
}

func (s *podStore) Delete(obj any) error {
	if pod, ok := obj.(*v1.Pod); ok {
		s.objects.unregister(pod.Namespace + "/" + pod.Name)
	}
	return s.Store.Delete(obj)
}

func (s *podStore) Replace(list []any, resourceVersion string) error {
	live := map[string]bool{}
	for _, obj := range list {
		pod := obj.(*v1.Pod)
		live[pod.Namespace+"/"+pod.Name] = true
		s.objects.register(pod)
	}
	s.objects.mu.Lock()
	var gone []string
	for key := range s.objects.registered {
		if !live[key] {
			gone = append(gone, key)
		}
	}
	s.objects.mu.Unlock()
	for _, key := range gone {
		s.objects.unregister(key)
	}
	return s.Store.Replace(list, resourceVersion)
}
