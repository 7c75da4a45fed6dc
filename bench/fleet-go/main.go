// fleet-go: the reference for cpchaos's simulated agents. N kubelets' pod reflectors,
// made the way the kubelet makes them (pkg/kubelet/config/apiserver.go: a ListWatch on
// pods with spec.nodeName=<node>, protobuf, QPS 50 and burst 100), each agent with
// its own transport and so its own connection. Built at bench time against the
// client-go release under test; never committed as a binary.
//
// It prints "baseline <resident bytes before the agents>", then "synced <ms>" once every reflector has synced, and runs until its
// standard input closes or it gets SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the agents' identity")
	server := flag.String("server", "", "dial this instead of the kubeconfig's server (the runner's load balancer)")
	agents := flag.Int("agents", 10, "how many kubelets")
	first := flag.Int("first-index", 0, "the first node index: nodes are cpchaos-node-<i>")
	protobuf := flag.Bool("protobuf", true, "ask for protobuf, as the kubelet does")
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

	// What this process holds before its agents: the bench's per-agent memory is the growth past it.
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var n int64
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), &n)
				fmt.Printf("baseline %d\n", n*1024)
			}
		}
	}

	started := time.Now()
	var synced atomic.Int64
	reflectors := make([]*cache.Reflector, *agents)
	stores := make([]cache.Store, *agents)
	for i := range *agents {
		agent := *config
		// A Dial of its own keeps client-go from sharing one cached transport between agents.
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		agent.Dial = dialer.DialContext
		clientset, err := kubernetes.NewForConfig(&agent)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		node := fmt.Sprintf("cpchaos-node-%d", *first+i)
		lw := cache.NewListWatchFromClient(clientset.CoreV1().RESTClient(), "pods", "", fields.OneTermEqualSelector("spec.nodeName", node))
		stores[i] = cache.NewStore(cache.MetaNamespaceKeyFunc)
		reflectors[i] = cache.NewReflector(lw, &v1.Pod{}, stores[i], 0)
		go reflectors[i].RunWithContext(ctx)
	}
	for synced.Load() < int64(*agents) && ctx.Err() == nil {
		count := int64(0)
		for _, r := range reflectors {
			if r.LastSyncResourceVersion() != "" {
				count++
			}
		}
		synced.Store(count)
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("synced %d\n", time.Since(started).Milliseconds())
	<-ctx.Done()
}
