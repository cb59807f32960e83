#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing (nats-server for the
# JetStream tests, Go to build FerretDB, kubectl for the manifest checks, ffmpeg for videos and
# the test media, heif-enc and zip to make HEIC and encrypted-zip test files). Idempotent.
set -euo pipefail
need=()
command -v nats-server >/dev/null || need+=(nats-server)
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || need+=(golang-go)
command -v kubectl >/dev/null || need+=(kubernetes-client)
# promtool checks the alert rules and dashboard queries (deploy/k8s/test).
command -v promtool >/dev/null || need+=(prometheus)
# The hasher reads videos, APNG, BMP and JPEG XL through ffmpeg/ffprobe (also in the image).
{ command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; } || need+=(ffmpeg)
command -v heif-enc >/dev/null || need+=(libheif-examples)
command -v zip >/dev/null || need+=(zip)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
echo "nats-server: $(nats-server --version 2>/dev/null || echo missing); go: $(go version 2>/dev/null || echo missing); kubectl: $(kubectl version --client 2>/dev/null | head -1 || echo missing); ffmpeg: $(ffmpeg -version 2>/dev/null | head -1 | cut -d' ' -f3 || echo missing)"
