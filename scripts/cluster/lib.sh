# Shared settings of scripts/cluster/*: versions, the state folder, the cache, ports and CIDRs.
# Sourced, not run. Every port and range is chosen away from the defaults so the cluster can
# share this machine with the system NATS (4222), PostgreSQL (5432) and other helpers' tests.

K8S_VERSION=v1.32.4            # served by the Go module proxy (some other patches are refused)
COREDNS_VERSION=v1.11.4
METRICS_SERVER_VERSION=v0.7.2
CRICTL_VERSION=v1.34.0          # the oldest served; CRI v1 speaks to containerd 1.6
# NetworkPolicy enforcement: kube-router's firewall (iptables + ipset). The only version the Go
# module proxy serves. (sigs.k8s.io/kube-network-policies needs nftables' queue expression,
# which this kernel lacks.)
KUBE_ROUTER_VERSION=v2.1.0
FERRETDB_VERSION=v1.24.2
DEBIAN_SUITE=bookworm

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$CLUSTER_DIR/../.." && pwd)"
CACHE_ROOT="${BOORU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/booru-ingest}"
CACHE="$CACHE_ROOT/cluster"
# One folder holds everything a running cluster owns (certs, etcd, containerd, kubelet, logs).
# Short on purpose: containerd's socket path must stay under 108 bytes.
STATE="${BOORU_CLUSTER_STATE:-/var/lib/booru-cluster}"
KUBECONFIG_PATH="$STATE/admin.kubeconfig"

# Network: pods and services in ranges nothing else here uses; the bridge is ours alone.
POD_CIDR=10.203.0.0/24
POD_GATEWAY=10.203.0.1
SERVICE_CIDR=10.204.0.0/24
KUBERNETES_SVC_IP=10.204.0.1
CLUSTER_DOMAIN=cluster.local
BRIDGE=booru0
CNI_NETWORK=booru-pods

# Ports (host). The API server and the node's own ports avoid the usual defaults.
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
APISERVER_PORT=16443
KUBELET_PORT=20250
KUBELET_HEALTHZ_PORT=20248
CONTROLLER_MANAGER_PORT=20257
SCHEDULER_PORT=20259
PROXY_METRICS_PORT=20249
PROXY_HEALTHZ_PORT=20256
KUBE_ROUTER_METRICS_PORT=20290
KUBE_ROUTER_HEALTH_PORT=20244
NODE_NAME=booru-node

# Image names the cluster uses; the overlay deploy/k8s/overlays/local names the same ones.
PAUSE_IMAGE=localhost/booru/pause:3.10
NODE_BASE_IMAGE=docker.io/library/node:20-slim
DEBIAN_BASE_IMAGE=localhost/booru/debian:bookworm-slim
BOORU_IMAGE=localhost/booru/booru:local
NATS_IMAGE=localhost/booru/nats:local
FERRETDB_IMAGE=localhost/booru/ferretdb:local
COREDNS_IMAGE=localhost/booru/coredns:$COREDNS_VERSION
METRICS_SERVER_IMAGE=localhost/booru/metrics-server:$METRICS_SERVER_VERSION
KUBE_ROUTER_IMAGE=localhost/booru/kube-router:$KUBE_ROUTER_VERSION

BIN="$CACHE/bin-$K8S_VERSION"
CONTAINERD_SOCK="$STATE/run/containerd.sock"

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The IPv4 address of the interface that holds the default route: the node's address.
node_ip() {
  local dev
  dev=$(ip -4 route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1)
  ip -4 -o addr show dev "$dev" scope global | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -1
}

use_go() {
  [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null || die "go is not installed (scripts/install-system-deps.sh)"
  export GOFLAGS=-mod=mod CGO_ENABLED=0
}

buildah_() { buildah --root "$CACHE/buildah/root" --runroot "$CACHE/buildah/run" --storage-driver overlay "$@"; }
ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
kubectl_() { kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; }
