#!/usr/bin/env bash
# Builds the cluster's Go programs from the Go module proxy into $CACHE/bin-<k8s version>/:
# the Kubernetes control plane, kubelet and kube-proxy, CoreDNS, metrics-server, crictl and
# kube-router (its NetworkPolicy firewall only). Each is built from a throwaway module in a temp folder; a program
# already in the cache is not rebuilt. Prints the folder.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
use_go
mkdir -p "$BIN"

# build NAME MODULE@VERSION PACKAGE [LDFLAGS...]: one program from a fresh throwaway module.
build() {
  local name=$1 modver=$2 pkg=$3; shift 3
  [ -x "$BIN/$name" ] && return 0
  local work; work=$(mktemp -d)
  log "building $name ($modver)"
  printf 'module booruclusterbuild\n\ngo 1.23\n\nrequire %s\n' "${modver/@/ }" > "$work/go.mod"
  printf '%s\n' "${EXTRA_MOD[@]}" >> "$work/go.mod"
  # -mod=mod (use_go): go build itself fills go.sum and the requirements it finds missing.
  (cd "$work" && go build -trimpath -ldflags "-s -w $*" -o "$BIN/$name.tmp" "$pkg" >&2)
  mv "$BIN/$name.tmp" "$BIN/$name"
  rm -rf "$work"
}

# Kubernetes' own go.mod points its staging modules (k8s.io/api, client-go...) at folders of
# its repository; a consumer must replace each with the published v0.<minor>.<patch>.
k8s_replaces() {
  local gomod minor=${K8S_VERSION#v1.}
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod" |
    while read -r m; do echo "replace $m => $m v0.$minor"; done
}

version_flags() {
  local v=$K8S_VERSION minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.%s ' "$pkg" "gitVersion=$v" "$pkg" "gitMajor=1" "$pkg" "gitMinor=$minor" \
      "$pkg" "gitTreeState=clean" "$pkg" "buildDate=1970-01-01T00:00:00Z"
  done
}

mapfile -t EXTRA_MOD < <(k8s_replaces)
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
  # One module cache and build cache: the second and later commands reuse the first's work.
  build "$cmd" "k8s.io/kubernetes@$K8S_VERSION" "k8s.io/kubernetes/cmd/$cmd" "$(version_flags)"
done
EXTRA_MOD=()
build coredns "github.com/coredns/coredns@$COREDNS_VERSION" github.com/coredns/coredns
build metrics-server "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION" \
  sigs.k8s.io/metrics-server/cmd/metrics-server
build crictl "sigs.k8s.io/cri-tools@$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
build kube-router "github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_VERSION" \
  github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
echo "$BIN"
