// fleet-go: the reference for cpchaos's simulated agents. N agents of one kind, each with
// its own transport and so its own connection, made with client-go the way the real
// component makes them:
//   - kubelet: reflectors on its pods (spec.nodeName), its Node (metadata.name), Services and
//     RuntimeClasses, and one on each Secret and ConfigMap its live pods reference (its
//     watch-based managers, pod_objects.go); registers its Node, runs client-go's lease controller
//     (component-helpers/apimachinery/lease, renewed every 10 s, owned by its Node) and the
//     node status loop (a GET from the watch cache every 10 s, a PATCH at once and every 5 min),
//     both through its heartbeat client (a 10 s timeout); their repeated failures close its idle
//     connections, as the kubelet does over HTTP/2 (utilnet.CloseIdleConnectionsFor: one carrying
//     watches stays); run with DISABLE_HTTP2 set, it speaks HTTP/1.1 and closes them all (closeAllConns),
//     as the kubelet then does;
//   - kube-proxy: Services and EndpointSlices without headless ones or other proxies', its Node, ServiceCIDRs;
//   - cni-agent (modelled on cilium-agent): its pods, Services, EndpointSlices, Namespaces,
//     NetworkPolicies and Cilium's custom resources (JSON, through the dynamic client); registers
//     its CiliumNode.
//
// Each agent the kubeconfig's user, or who its real counterpart is (identity.go). Protobuf for
// built-in kinds, QPS 50 and burst 100. Built at bench time against the client-go
// release under test; never committed as a binary.
//
// It prints "baseline <resident bytes before the agents>", then "synced <ms>" once every
// reflector has synced, and runs until its standard input closes or it gets SIGTERM; then
// "repeatedHeartbeatFailures <n>": how often its kubelets called onRepeatedHeartbeatFailure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/connrotation"
	"k8s.io/component-helpers/apimachinery/lease"
	nodeutil "k8s.io/component-helpers/node/util"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

const proxied = "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"

// An informer of an agent: what it lists and watches.
type target struct {
	client rest.Interface // nil: a custom resource, through the dynamic client
	gvr    schema.GroupVersionResource
	object runtime.Object
	field  string
	label  string
}

func builtin(c rest.Interface, resource string, object runtime.Object, field, label string) target {
	return target{client: c, gvr: schema.GroupVersionResource{Resource: resource}, object: object, field: field, label: label}
}

func cilium(plural string) target {
	return target{gvr: schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: plural}, object: &unstructured.Unstructured{}}
}

func targets(kind, node string, cs *kubernetes.Clientset) []target {
	core := cs.CoreV1().RESTClient()
	onNode := "spec.nodeName=" + node
	named := "metadata.name=" + node
	switch kind {
	case "kubelet":
		return []target{
			builtin(core, "pods", &v1.Pod{}, onNode, ""),
			builtin(core, "nodes", &v1.Node{}, named, ""),
			builtin(core, "services", &v1.Service{}, "", ""),
			builtin(cs.NodeV1().RESTClient(), "runtimeclasses", &nodev1.RuntimeClass{}, "", ""),
		}
	case "kube-proxy":
		return []target{
			builtin(core, "services", &v1.Service{}, "", proxied),
			builtin(cs.DiscoveryV1().RESTClient(), "endpointslices", &discoveryv1.EndpointSlice{}, "", proxied),
			builtin(core, "nodes", &v1.Node{}, named, ""),
			// MultiCIDRServiceAllocator, GA and locked on from 1.33 (the oldest release this builds for).
			builtin(cs.NetworkingV1().RESTClient(), "servicecidrs", &networkingv1.ServiceCIDR{}, "", ""),
		}
	case "cni-agent":
		return []target{
			builtin(core, "pods", &v1.Pod{}, onNode, ""),
			builtin(core, "services", &v1.Service{}, "", "!service.kubernetes.io/service-proxy-name"),
			builtin(cs.DiscoveryV1().RESTClient(), "endpointslices", &discoveryv1.EndpointSlice{}, "", ""),
			builtin(core, "namespaces", &v1.Namespace{}, "", ""),
			builtin(cs.NetworkingV1().RESTClient(), "networkpolicies", &networkingv1.NetworkPolicy{}, "", ""),
			cilium("ciliumnetworkpolicies"),
			cilium("ciliumclusterwidenetworkpolicies"),
			cilium("ciliumnodes"),
			cilium("ciliumendpoints"),
			cilium("ciliumidentities"),
		}
	}
	fmt.Fprintf(os.Stderr, "no agent kind %q\n", kind)
	os.Exit(2)
	return nil
}

func listWatch(t target, dyn dynamic.Interface) *cache.ListWatch {
	tweak := func(options *metav1.ListOptions) {
		options.FieldSelector = t.field
		options.LabelSelector = t.label
	}
	if t.client != nil {
		return cache.NewFilteredListWatchFromClient(t.client, t.gvr.Resource, metav1.NamespaceAll, tweak)
	}
	resource := dyn.Resource(t.gvr)
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, options metav1.ListOptions) (runtime.Object, error) {
			tweak(&options)
			return resource.List(ctx, options)
		},
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			tweak(&options)
			return resource.Watch(ctx, options)
		},
	}
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the agents' identity")
	server := flag.String("server", "", "dial this instead of the kubeconfig's server (the runner's load balancer)")
	kind := flag.String("kind", "kubelet", "kubelet, kube-proxy or cni-agent")
	agents := flag.Int("agents", 10, "how many agents")
	first := flag.Int("first-index", 0, "the first node index: nodes are cpchaos-node-<i>")
	protobuf := flag.Bool("protobuf", true, "ask for protobuf for built-in kinds, as the real agents do")
	podsOnly := flag.Bool("pods-only", false, "kubelets with their pod reflector alone: no other informer, no writes")
	noPodObjects := flag.Bool("no-pod-objects", false, "kubelets without their Secret and ConfigMap watches")
	caCert := flag.String("client-ca-cert", "", "with -client-ca-key: each kubelet a certificate of its node signed by this CA")
	caKey := flag.String("client-ca-key", "", "the client CA's private key")
	tokenFile := flag.String("token-file", "", "kube-proxies and CNI agents authenticate with this ServiceAccount token file")
	klog.InitFlags(nil) // -v=4 says why each watch ended and what the reflector did next
	flag.Parse()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *server != "" {
		config.Host = *server
	}
	config.QPS, config.Burst = 50, 100
	config.UserAgent = "fleet-go-" + *kind
	if *protobuf {
		config.ContentType = "application/vnd.kubernetes.protobuf"
		config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	who, err := newIdentities(*caCert, *caKey, *tokenFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	printBaseline()

	started := time.Now()
	var reflectors []*cache.Reflector
	for i := range *agents {
		agent := *config
		// A Dial of its own keeps client-go from sharing one cached transport between agents;
		// the agent's typed and dynamic clients share this one transport, so one connection.
		// The kubelet dials through client-go's connrotation (kubelet's UpdateTransport).
		dialer := connrotation.NewDialer((&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext)
		agent.Dial = dialer.DialContext
		node := fmt.Sprintf("cpchaos-node-%d", *first+i)
		if err := who.apply(&agent, *kind, node); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		httpClient, err := rest.HTTPClientFor(&agent)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		cs, err := kubernetes.NewForConfigAndClient(&agent, httpClient)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		jsonConfig := agent
		jsonConfig.ContentType, jsonConfig.AcceptContentTypes = "", ""
		dyn, err := dynamic.NewForConfigAndClient(&jsonConfig, httpClient)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		list := targets(*kind, node, cs)
		if *podsOnly {
			list = list[:1]
		}
		for i, t := range list {
			var store cache.Store = cache.NewStore(cache.MetaNamespaceKeyFunc)
			if *kind == "kubelet" && i == 0 && !*podsOnly && !*noPodObjects {
				store = &podStore{Store: store, objects: newPodObjects(ctx, cs)}
			}
			r := cache.NewReflector(listWatch(t, dyn), t.object, store, 0)
			reflectors = append(reflectors, r)
			go r.RunWithContext(ctx)
		}
		if !*podsOnly {
			go writes(ctx, *kind, node, cs, heartbeatClient(&agent, httpClient), dyn, func() {
				heartbeatFailures.Add(1)
				onRepeatedHeartbeatFailure(httpClient.Transport, dialer)
			})
		}
	}
	for ctx.Err() == nil {
		synced := 0
		for _, r := range reflectors {
			if r.LastSyncResourceVersion() != "" {
				synced++
			}
		}
		if synced == len(reflectors) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("synced %d\n", time.Since(started).Milliseconds())
	<-ctx.Done()
	fmt.Printf("repeatedHeartbeatFailures %d\n", heartbeatFailures.Load())
}

// How often a kubelet's heartbeats failed again (onRepeatedHeartbeatFailure), over the process's life.
var heartbeatFailures atomic.Int64

// What the kubelet does then (cmd/kubelet/app/server.go, buildKubeletClientConfig): with DISABLE_HTTP2 set
// (client-go then speaks HTTP/1.1 too) it closes every connection its dialer made; else only the idle ones,
// and HTTP/2's pings find a dead connection that carries watches.
func onRepeatedHeartbeatFailure(transport http.RoundTripper, dialer *connrotation.Dialer) {
	if os.Getenv("DISABLE_HTTP2") != "" {
		dialer.CloseAll()
		return
	}
	utilnet.CloseIdleConnectionsFor(transport)
}

// What this process holds before its agents: the bench's per-agent memory is the growth past it.
func printBaseline() {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var n int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), &n)
			fmt.Printf("baseline %d\n", n*1024)
		}
	}
}

// The kubelet's heartbeat client (kubelet's server.go): its config with throttling off and a
// timeout of min(nodeStatusUpdateFrequency, nodeLeaseDurationSeconds), 10 s, over the same transport.
func heartbeatClient(config *rest.Config, httpClient *http.Client) *kubernetes.Clientset {
	heartbeat := *config
	heartbeat.Timeout = 10 * time.Second
	heartbeat.QPS = -1
	cs, err := kubernetes.NewForConfigAndClient(&heartbeat, &http.Client{Transport: httpClient.Transport, Timeout: heartbeat.Timeout})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return cs
}

// The agent's steady-state writes: it registers first, then heartbeats until stopped. A kubelet's
// heartbeats go through its heartbeat client, and onRepeatedHeartbeatFailure follows their repeated failures.
func writes(ctx context.Context, kind, node string, cs, heartbeat *kubernetes.Clientset, dyn dynamic.Interface, onRepeatedHeartbeatFailure func()) {
	switch kind {
	case "kubelet":
		registerNode(ctx, cs, node)
		controller := lease.NewController(clock.RealClock{}, heartbeat, node, 40, onRepeatedHeartbeatFailure, 10*time.Second, node, "kube-node-lease", setNodeOwner(heartbeat, node))
		go controller.Run(ctx)
		nodeStatusLoop(ctx, heartbeat, node, onRepeatedHeartbeatFailure)
	case "cni-agent":
		registerCiliumNode(ctx, dyn, node)
	}
}

// The kubelet's registerWithAPIServer: create its Node, backing off 100 ms doubling to 7 s; one that exists is read back.
func registerNode(ctx context.Context, cs *kubernetes.Clientset, node string) {
	for step := 100 * time.Millisecond; ctx.Err() == nil; step = min(step*2, 7*time.Second) {
		_, err := cs.CoreV1().Nodes().Create(ctx, nodeObject(node), metav1.CreateOptions{})
		if err == nil {
			return
		}
		if apierrors.IsAlreadyExists(err) {
			_, _ = cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			return
		}
		time.Sleep(step)
	}
}

func nodeObject(name string) *v1.Node {
	now := metav1.Now()
	condition := func(t v1.NodeConditionType, status v1.ConditionStatus, reason string) v1.NodeCondition {
		return v1.NodeCondition{Type: t, Status: status, Reason: reason, Message: "kubelet " + reason, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
		Status: v1.NodeStatus{
			Capacity: v1.ResourceList{v1.ResourceCPU: resource.MustParse("4"), v1.ResourceMemory: resource.MustParse("16Gi"), v1.ResourcePods: resource.MustParse("110")},
			Conditions: []v1.NodeCondition{
				condition(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory"),
				condition(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure"),
				condition(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID"),
				condition(v1.NodeReady, v1.ConditionTrue, "KubeletReady"),
			},
		},
	}
}

// The kubelet's nodelease.SetNodeOwnerFunc: until the Lease has an owner, GET the Node to set it;
// a failed GET fails the renewal (no PUT, and no CREATE this time).
func setNodeOwner(cs *kubernetes.Clientset, node string) func(*coordinationv1.Lease) error {
	return func(l *coordinationv1.Lease) error {
		if len(l.OwnerReferences) > 0 {
			return nil
		}
		n, err := cs.CoreV1().Nodes().Get(context.TODO(), node, metav1.GetOptions{})
		if err != nil {
			return err
		}
		l.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node, UID: n.UID}}
		return nil
	}
}

// The kubelet's syncNodeStatus every nodeStatusUpdateFrequency (10 s, jitter 0.04, sliding):
// up to 5 tries of tryUpdateNodeStatus, which GETs the Node (the first try from the watch
// cache) and PATCHes its status when it changed or nodeStatusReportFrequency (5 min) has passed;
// each failure past the first calls onRepeatedHeartbeatFailure.
func nodeStatusLoop(ctx context.Context, cs *kubernetes.Clientset, node string, onRepeatedHeartbeatFailure func()) {
	var reported time.Time
	tryUpdate := func(try int) error {
		opts := metav1.GetOptions{}
		if try == 0 {
			opts.ResourceVersion = "0"
		}
		original, err := cs.CoreV1().Nodes().Get(ctx, node, opts)
		if err != nil {
			return err
		}
		if time.Since(reported) < 5*time.Minute {
			return nil
		}
		updated := original.DeepCopy()
		now := metav1.Now()
		for i := range updated.Status.Conditions {
			updated.Status.Conditions[i].LastHeartbeatTime = now
		}
		if _, _, err := nodeutil.PatchNodeStatus(cs.CoreV1(), types.NodeName(node), original, updated); err != nil {
			return err
		}
		reported = time.Now()
		return nil
	}
	wait.JitterUntil(func() {
		for try := 0; try < 5 && ctx.Err() == nil; try++ {
			if tryUpdate(try) == nil {
				return
			}
			if try > 0 {
				onRepeatedHeartbeatFailure()
			}
		}
	}, 10*time.Second, 0.04, true, ctx.Done())
}

func registerCiliumNode(ctx context.Context, dyn dynamic.Interface, node string) {
	nodes := dyn.Resource(schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnodes"})
	object := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cilium.io/v2",
		"kind":       "CiliumNode",
		"metadata":   map[string]any{"name": node},
		"spec":       map[string]any{"ipam": map[string]any{"podCIDRs": []any{"10.0.0.0/24"}}},
	}}
	for step := 100 * time.Millisecond; ctx.Err() == nil; step = min(step*2, 7*time.Second) {
		_, err := nodes.Create(ctx, object, metav1.CreateOptions{})
		if err == nil {
			return
		}
		if apierrors.IsAlreadyExists(err) {
			_, _ = nodes.Get(ctx, node, metav1.GetOptions{})
			return
		}
		time.Sleep(step + time.Duration(rand.Int63n(int64(step/10))))
	}
}
