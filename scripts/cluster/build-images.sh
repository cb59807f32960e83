#!/usr/bin/env bash
# Builds every image the local cluster runs, with buildah (storage under the cache, not
# /var/lib/containers), and saves each as an OCI archive in $CACHE/images/ for `ctr import`:
#   debian:bookworm-slim  a Debian root filesystem from mmdebstrap (apt works inside)
#   node:20-slim          that + this machine's Node 20 and npm, so the project's Dockerfile
#                         builds unchanged (FROM node:20-slim)
#   booru                 the project's Dockerfile (buildah bud)
#   nats, ferretdb        NATS (Debian's nats-server) and FerretDB on PostgreSQL 15
#   kube-router           its firewall, with Debian's iptables and ipset
#   pause, coredns, metrics-server   FROM scratch + one static binary
# An archive is rebuilt only when its inputs change (the key is in its name). Prints the folder.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
IMAGES="$CACHE/images"
CTX="$CLUSTER_DIR/images"
mkdir -p "$IMAGES" "$CACHE/buildah"

# archive NAME KEY: the archive's path; true when it already exists.
archive() { echo "$IMAGES/$1-$2.tar"; }
have() { [ -s "$(archive "$1" "$2")" ]; }
save() { # save IMAGE NAME KEY: export to an OCI archive and drop older ones of that name.
  local out; out=$(archive "$2" "$3")
  rm -f "$IMAGES/$2"-*.tar
  buildah_ push -q "$1" "oci-archive:$out.tmp:$1" >/dev/null
  mv "$out.tmp" "$out"
}
has_image() { buildah_ inspect --type image "$1" >/dev/null 2>&1; }

# --- Debian root filesystem and base image --------------------------------------------------
# Same mirror as this machine's apt; Valid-Until is not checked because the mirror may serve a
# dated snapshot (as this machine's own apt configuration allows).
debian_base() {
  # Keyed on this function's own text: editing another part of the script rebuilds nothing here.
  local key; key=$( { echo "$DEBIAN_SUITE"; declare -f debian_base; } | md5sum | cut -c1-10)
  if have debian "$key" && has_image "$DEBIAN_BASE_IMAGE"; then return; fi
  local rootfs="$CACHE/rootfs-$DEBIAN_SUITE.tar"
  if [ ! -s "$rootfs" ]; then
    log "mmdebstrap: Debian $DEBIAN_SUITE root filesystem"
    mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates \
      --aptopt='Acquire::Check-Valid-Until "false"' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      "$DEBIAN_SUITE" "$rootfs.tmp" \
      "deb http://deb.debian.org/debian $DEBIAN_SUITE main" \
      "deb http://deb.debian.org/debian $DEBIAN_SUITE-updates main" \
      "deb http://deb.debian.org/debian-security $DEBIAN_SUITE-security main" >&2
    mv "$rootfs.tmp" "$rootfs"
  fi
  log "image $DEBIAN_BASE_IMAGE"
  local c; c=$(buildah_ from scratch)
  buildah_ add "$c" "$rootfs" / >/dev/null
  # As in Debian's container images: package installs inside a build start no services.
  buildah_ run --isolation chroot "$c" -- sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  buildah_ config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd bash "$c"
  buildah_ commit -q --rm "$c" "$DEBIAN_BASE_IMAGE" >/dev/null
  save "$DEBIAN_BASE_IMAGE" debian "$key"
}

# --- node:20-slim from this machine's Node --------------------------------------------------
# The layout of the official image: node, npm and the headers under /usr/local. Two additions
# for this machine: node-gyp finds the headers (no download: nodedir), and Node trusts the CAs
# this machine trusts (its registry traffic passes a proxy with its own CA).
node_base() {
  local node_dir=/usr/lib/node_modules npm_dir key
  # Not keyed on the Debian image: a refreshed Debian alone does not rebuild the project's image.
  key=$( { node --version; cat "$node_dir/npm/package.json" /etc/ssl/certs/ca-certificates.crt;
           declare -f node_base; } | md5sum | cut -c1-10)
  if have node "$key" && has_image "$NODE_BASE_IMAGE"; then return; fi
  log "image $NODE_BASE_IMAGE (node $(node --version), npm $(npm --version))"
  local c mnt; c=$(buildah_ from --pull-never "$DEBIAN_BASE_IMAGE")
  mnt=$(buildah_ mount "$c")
  install -D -m 755 "$(readlink -f "$(command -v node)")" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules" "$mnt/usr/local/include" "$mnt/usr/local/etc"
  cp -a "$node_dir/npm" "$mnt/usr/local/lib/node_modules/npm"
  cp -a /usr/include/node "$mnt/usr/local/include/node"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  printf 'nodedir=/usr/local\nfund=false\naudit=false\nupdate-notifier=false\n' > "$mnt/usr/local/etc/npmrc"
  install -m 644 /etc/ssl/certs/ca-certificates.crt "$mnt/usr/local/etc/host-ca-certificates.crt"
  buildah_ umount "$c" >/dev/null
  buildah_ config --env NODE_VERSION="$(node --version | tr -d v)" \
    --env NODE_EXTRA_CA_CERTS=/usr/local/etc/host-ca-certificates.crt --cmd node "$c"
  buildah_ commit -q --rm "$c" "$NODE_BASE_IMAGE" >/dev/null
  save "$NODE_BASE_IMAGE" node "$key"
}

# --- the project's image from its own Dockerfile ---------------------------------------------
booru_image() {
  # The build context as .dockerignore leaves it: tracked and untracked files, not ignored ones.
  local key
  key=$( { ls "$IMAGES"/node-*.tar;
           cd "$REPO_DIR" && git ls-files -co --exclude-standard -- Dockerfile .dockerignore package.json \
             package-lock.json tsconfig.base.json tsconfig.json packages services |
             grep -v -e '\.test\.ts$' -e '/test/' | sort | xargs md5sum; } | md5sum | cut -c1-10)
  if have booru "$key"; then return; fi
  log "image $BOORU_IMAGE: buildah bud of the project's Dockerfile"
  # --layers: unchanged steps (npm ci when the lockfile did not change) come from the cache.
  (cd "$REPO_DIR" && buildah_ bud --isolation chroot --layers --pull-never -q \
    -t "$BOORU_IMAGE" -f Dockerfile . >&2)
  save "$BOORU_IMAGE" booru "$key"
}

# --- NATS and FerretDB on PostgreSQL ----------------------------------------------------------
# containerfile IMAGE NAME FILE [extra context files...]
containerfile() {
  local image=$1 name=$2 file=$3 key; shift 3
  key=$( { cat "$CTX/$file" "$@"; ls "$IMAGES"/debian-*.tar; } | md5sum | cut -c1-10)
  if have "$name" "$key"; then return; fi
  log "image $image"
  local ctx; ctx=$(mktemp -d)
  cp "$CTX/$file" "$ctx/Containerfile"
  [ $# -eq 0 ] || cp "$@" "$ctx/"
  buildah_ bud --isolation chroot --layers --pull-never -q --build-arg BASE="$DEBIAN_BASE_IMAGE" \
    -t "$image" -f "$ctx/Containerfile" "$ctx" >&2
  rm -rf "$ctx"
  save "$image" "$name" "$key"
}

# --- FROM scratch + one binary ---------------------------------------------------------------
# scratch_image IMAGE NAME BINARY ENTRYPOINT-JSON
scratch_image() {
  local image=$1 name=$2 binary=$3 entry=$4 key
  key=$(echo "$entry" | cat - "$binary" | md5sum | cut -c1-10)
  if have "$name" "$key"; then return; fi
  log "image $image"
  local c; c=$(buildah_ from scratch)
  buildah_ copy --chmod 755 "$c" "$binary" "/$(basename "$binary")" >/dev/null
  buildah_ config --entrypoint "$entry" --user 65534:65534 "$c"
  buildah_ commit -q --rm "$c" "$image" >/dev/null
  save "$image" "$name" "$key"
}

pause_binary() {
  local out; out="$CACHE/pause-$(md5sum < "$CTX/pause.c" | cut -c1-10)"
  [ -x "$out/pause" ] || { mkdir -p "$out"; gcc -Os -static -s -o "$out/pause" "$CTX/pause.c"; }
  echo "$out/pause"
}

debian_base
node_base
booru_image
containerfile "$NATS_IMAGE" nats nats.Containerfile
containerfile "$FERRETDB_IMAGE" ferretdb ferretdb.Containerfile \
  "$(bash "$REPO_DIR/scripts/build-ferretdb.sh")" "$CTX/postgres-run.sh"
scratch_image "$PAUSE_IMAGE" pause "$(pause_binary)" '["/pause"]'
scratch_image "$COREDNS_IMAGE" coredns "$BIN/coredns" '["/coredns"]'
scratch_image "$METRICS_SERVER_IMAGE" metrics-server "$BIN/metrics-server" '["/metrics-server"]'
containerfile "$KUBE_ROUTER_IMAGE" kube-router kube-router.Containerfile "$BIN/kube-router"
echo "$IMAGES"
