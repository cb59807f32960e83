#!/usr/bin/env bash
# Installs the Debian packages the local cluster needs when they are missing. Idempotent.
# Package installs start no services here (policy-rc.d), and up starts its own containerd.
set -euo pipefail
need=()
want() { command -v "$1" >/dev/null || need+=("$2"); }
want containerd containerd
want runc runc
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
want etcd etcd-server
want mmdebstrap mmdebstrap
want buildah buildah
want iptables iptables
want conntrack conntrack
want nft nftables
want ipset ipset
want curl curl
want envsubst gettext-base
want gcc gcc
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
# Another install (a second checkout, unattended upgrades) may hold the dpkg lock: wait for it
# rather than fail.
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >&2
fi
