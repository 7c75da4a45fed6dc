/**
 * The pod network of a node image built offline. kind's default CNI is kindnetd, an
 * image that cannot be pulled here; what it does for a kind cluster is small: write a
 * CNI config for the node's podCIDR and route the other nodes' podCIDRs to them. A
 * systemd unit in the node does the same with Debian's CNI plugins (ptp, host-local,
 * portmap) and the node's own kubelet credentials, which may list nodes.
 */

export const nodeNetworkScript = `#!/bin/bash
# cpchaos-node-network: kindnetd's job in a kind node image that cpchaos built offline.
# A kubelet may read only its own Node, so routes to the other nodes' pods need the
# admin credentials a control-plane node has; a worker node gets its own pod network only.
set -u
conf=/etc/cni/net.d/10-cpchaos.conflist
self=$(hostname)
fields='{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}'
nodes() {
  if [ -f /etc/kubernetes/admin.conf ]; then
    kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o jsonpath="{range .items[*]}$fields{end}"
  elif [ -f /etc/kubernetes/kubelet.conf ]; then
    kubectl --kubeconfig /etc/kubernetes/kubelet.conf get node "$self" -o jsonpath="$fields"
  fi
}
while true; do
  nodes 2>/dev/null | while read -r name cidr address; do
    [ -n "$cidr" ] && [ -n "$address" ] || continue
    if [ "$name" = "$self" ]; then
      [ -f "$conf" ] && continue
      mkdir -p "$(dirname "$conf")"
      printf '{"cniVersion":"0.4.0","name":"cpchaos","plugins":[{"type":"ptp","ipMasq":true,"mtu":1500,"ipam":{"type":"host-local","ranges":[[{"subnet":"%s"}]],"routes":[{"dst":"0.0.0.0/0"}]}},{"type":"portmap","capabilities":{"portMappings":true}}]}\\n' "$cidr" > "$conf.tmp"
      mv "$conf.tmp" "$conf"
      echo "pod network: $cidr on this node"
    else
      ip route replace "$cidr" via "$address" 2>/dev/null
    fi
  done
  sleep 2
done
`;

export const nodeNetworkUnit = `[Unit]
Description=cpchaos pod network (CNI config and routes to the other nodes' pods)
After=containerd.service

[Service]
ExecStart=/usr/local/bin/cpchaos-node-network
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
`;

/** kind applies /kind/manifests/default-cni.yaml with `kubectl create`: it must hold an object, and here it only says where the network comes from. */
export const defaultCniManifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cpchaos-node-network
  namespace: kube-system
data:
  about: >-
    This kind node image was built offline by cpchaos. Pod networking comes from the
    cpchaos-node-network unit on each node (Debian's CNI plugins ptp, host-local and
    portmap), not from kindnetd.
`;

/** kind's legacy default storage class: no provisioner image needed. */
export const defaultStorageManifest = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
`;
