// relist-floor-go: the least a Go client pays per relist connection, for bench/relist-floor.
// Each request is a new TCP connection, a full TLS handshake with the client certificate
// (no session cache, as client-go) and one hand-written HTTP/1.1 LIST; it prints the
// process's own CPU seconds (getrusage) when done, so the bench can divide by the requests.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	address := flag.String("address", "", "host:port of the apiserver")
	host := flag.String("host", "", "Host header and TLS server name")
	caFile := flag.String("ca", "", "CA bundle")
	certFile := flag.String("cert", "", "client certificate")
	keyFile := flag.String("key", "", "client key")
	requests := flag.Int("requests", 1500, "connections in all")
	concurrency := flag.Int("concurrency", 50, "connections at once")
	flag.Parse()

	pool := x509.NewCertPool()
	ca, err := os.ReadFile(*caFile)
	check(err)
	pool.AppendCertsFromPEM(ca)
	pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	check(err)
	serverName, _, err := net.SplitHostPort(*host)
	check(err)
	config := &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: serverName}

	var next, failed int64
	var wg sync.WaitGroup
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1) - 1
				if i >= int64(*requests) {
					return
				}
				if !relist(*address, *host, config, i) {
					atomic.AddInt64(&failed, 1)
				}
			}
		}()
	}
	wg.Wait()
	var usage syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &usage))
	cpu := float64(usage.Utime.Sec+usage.Stime.Sec) + float64(usage.Utime.Usec+usage.Stime.Usec)/1e6
	fmt.Printf("{\"cpuSeconds\":%f,\"failed\":%d}\n", cpu, failed)
}

func relist(address, host string, config *tls.Config, i int64) bool {
	conn, err := tls.Dial("tcp", address, config)
	if err != nil {
		return false
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/pods?fieldSelector=spec.nodeName%%3Dcpchaos-node-%d HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n", i, host)
	reader := bufio.NewReader(conn)
	status, err := reader.ReadString('\n')
	if err != nil || len(status) < 12 || status[9:12] != "200" {
		return false
	}
	_, err = io.Copy(io.Discard, reader) // until the server closes: Connection: close
	return err == nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
