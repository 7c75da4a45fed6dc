// Command validate checks kind cluster configs the way kind reads them: a strict
// decode into kind's own v1alpha4 types (an unknown or misspelt field is an error),
// then each kubeadmConfigPatch must be a YAML document naming a kubeadm kind.
//
// Usage: go run . FILE...   (prints "FILE: ok" or "FILE: problem", exit 1 on any problem)
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

var patchKinds = map[string]bool{
	"ClusterConfiguration":   true,
	"InitConfiguration":      true,
	"JoinConfiguration":      true,
	"KubeletConfiguration":   true,
	"KubeProxyConfiguration": true,
}

func check(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var cluster v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &cluster); err != nil {
		return err
	}
	if cluster.Kind != "Cluster" || cluster.APIVersion != "kind.x-k8s.io/v1alpha4" {
		return fmt.Errorf("kind/apiVersion must be Cluster/kind.x-k8s.io/v1alpha4, got %s/%s", cluster.Kind, cluster.APIVersion)
	}
	if len(cluster.Nodes) == 0 {
		return fmt.Errorf("no nodes")
	}
	patches := append([]string{}, cluster.KubeadmConfigPatches...)
	for _, node := range cluster.Nodes {
		patches = append(patches, node.KubeadmConfigPatches...)
	}
	for i, patch := range patches {
		var doc map[string]interface{}
		if err := yaml.UnmarshalStrict([]byte(patch), &doc); err != nil {
			return fmt.Errorf("kubeadmConfigPatches[%d]: %v", i, err)
		}
		kind, _ := doc["kind"].(string)
		if !patchKinds[kind] {
			return fmt.Errorf("kubeadmConfigPatches[%d]: kind %q is not a kubeadm kind", i, kind)
		}
	}
	return nil
}

func main() {
	failed := false
	for _, file := range os.Args[1:] {
		if err := check(file); err != nil {
			fmt.Printf("%s: %v\n", file, err)
			failed = true
		} else {
			fmt.Printf("%s: ok\n", file)
		}
	}
	if failed {
		os.Exit(1)
	}
}
