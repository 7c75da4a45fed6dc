// loadbalancer stands in for the envoy image that kind (>= 0.30) runs in front of
// the control planes of an HA cluster, where that image cannot be pulled. kind starts
// it as `envoy -c /home/envoy/envoy.yaml` and configures it by replacing the files
// that config names (lds.yaml: the listener's port; cds.yaml: the apiservers). This
// reads those files every second and forwards TCP round-robin, moving to the next
// apiserver when one refuses or does not answer within a second, as envoy's health
// checks would. Only what kind writes is understood; it is not an envoy.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

var (
	pathLine  = regexp.MustCompile(`(?m)^\s*path:\s*(\S+)\s*$`)
	address   = regexp.MustCompile(`address:\s*"?([^"\s]+)"?\s*\n\s*port_value:\s*(\d+)`)
	backendMu sync.RWMutex
	backends  []string
	next      atomic.Uint64
)

func main() {
	config := flag.String("c", "/home/envoy/envoy.yaml", "bootstrap config written by kind")
	flag.Parse()
	bootstrap, err := os.ReadFile(*config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	paths := pathLine.FindAllStringSubmatch(string(bootstrap), -1)
	if len(paths) < 2 {
		fmt.Fprintln(os.Stderr, "no cds and lds paths in", *config)
		os.Exit(1)
	}
	cds, lds := paths[0][1], paths[1][1]
	listening := ""
	for {
		if port := listenerPort(lds); port != "" && port != listening {
			go serve(port)
			listening = port
		}
		refreshBackends(cds)
		time.Sleep(time.Second)
	}
}

func listenerPort(lds string) string {
	text, err := os.ReadFile(lds)
	if err != nil {
		return ""
	}
	if m := address.FindStringSubmatch(string(text)); m != nil {
		return m[2]
	}
	return ""
}

func refreshBackends(cds string) {
	text, err := os.ReadFile(cds)
	if err != nil {
		return
	}
	var found []string
	for _, m := range address.FindAllStringSubmatch(string(text), -1) {
		found = append(found, net.JoinHostPort(m[1], m[2]))
	}
	backendMu.Lock()
	defer backendMu.Unlock()
	if fmt.Sprint(found) != fmt.Sprint(backends) {
		fmt.Println("backends:", found)
		backends = found
	}
}

func serve(port string) {
	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening on", listener.Addr())
	for {
		client, err := listener.Accept()
		if err != nil {
			continue
		}
		go forward(client)
	}
}

func dialBackend() net.Conn {
	backendMu.RLock()
	list := append([]string(nil), backends...)
	backendMu.RUnlock()
	for range list {
		target := list[next.Add(1)%uint64(len(list))]
		if conn, err := net.DialTimeout("tcp", target, time.Second); err == nil {
			return conn
		}
	}
	return nil
}

func forward(client net.Conn) {
	defer client.Close()
	server := dialBackend()
	if server == nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
}
