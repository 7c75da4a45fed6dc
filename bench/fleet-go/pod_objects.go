package main

// The kubelet's watch-based Secret and ConfigMap managers (pkg/kubelet/util/manager), fed by its
// pod reflector's store: a live pod registers every object it references, the first reference
// to an object starts a reflector on that object alone (fieldSelector metadata.name in its
// namespace), the last one going stops it. Like cpchaos's model, it leaves out the managers'
// stop of an immutable object's reflector and of one not read for 5 minutes.

import (
	"context"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

type objectKey struct{ resource, namespace, name string }

type objectWatch struct {
	references int
	stop       context.CancelFunc
}

type podObjects struct {
	ctx        context.Context
	cs         *kubernetes.Clientset
	mu         sync.Mutex
	registered map[string][]objectKey
	watched    map[objectKey]*objectWatch
}

func newPodObjects(ctx context.Context, cs *kubernetes.Clientset) *podObjects {
	return &podObjects{ctx: ctx, cs: cs, registered: map[string][]objectKey{}, watched: map[objectKey]*objectWatch{}}
}

// What podutil.VisitPodSecretNames and VisitPodConfigmapNames visit, but the in-tree volume
// plugins' secret references (iSCSI, RBD, CephFS, FlexVolume, Azure File, ScaleIO, StorageOS).
func referencedObjects(pod *v1.Pod) []objectKey {
	seen := map[objectKey]bool{}
	var keys []objectKey
	add := func(resource, name string) {
		key := objectKey{resource, pod.Namespace, name}
		if name != "" && !seen[key] {
			seen[key] = true
			keys = append(keys, key)
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
	for _, pullSecret := range pod.Spec.ImagePullSecrets {
		add("secrets", pullSecret.Name)
	}
	return keys
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
	objects := referencedObjects(pod)
	for _, object := range objects {
		p.reference(object)
	}
	previous := p.registered[key]
	p.registered[key] = objects
	for _, object := range previous {
		p.dereference(object)
	}
}

func (p *podObjects) unregister(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	previous := p.registered[key]
	delete(p.registered, key)
	for _, object := range previous {
		p.dereference(object)
	}
}

func (p *podObjects) reference(object objectKey) {
	if w, ok := p.watched[object]; ok {
		w.references++
		return
	}
	ctx, stop := context.WithCancel(p.ctx)
	p.watched[object] = &objectWatch{references: 1, stop: stop}
	go p.reflector(object).RunWithContext(ctx)
}

func (p *podObjects) dereference(object objectKey) {
	w, ok := p.watched[object]
	if !ok {
		return
	}
	if w.references--; w.references == 0 {
		delete(p.watched, object)
		w.stop()
	}
}

// newReflector of the kubelet's objectCache, with the clientset's WatchList semantics as its managers wrap it.
func (p *podObjects) reflector(object objectKey) *cache.Reflector {
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
	return cache.NewNamedReflector(name, lw, example, cache.NewStore(cache.MetaNamespaceKeyFunc), 0)
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
