#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing (nats-server for the
# JetStream tests, Go to build FerretDB and grpcurl, kubectl for the manifest checks, protoc and
# Python for the Python client, ffmpeg for videos and the test media, heif-enc and zip to make
# HEIC and encrypted-zip test files, chromium for the console's browser tests). Idempotent.
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
# The web console's browser tests drive Debian's Chromium through Playwright (a browser
# downloaded at install time cannot be fetched on these machines); fonts so pages render text.
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
# The Python client (clients/python): protoc and the gRPC plugin generate its stubs (npm run
# generate); Debian's python3 runs its tests with Debian's grpcio and protobuf, installs it into
# a venv with setuptools and wheel (no package index), and type-checks it with mypy.
for pkg in protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf python3-venv python3-setuptools python3-wheel python3-mypy; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# Another install (a second checkout, unattended upgrades) may hold the dpkg lock: wait for it
# rather than fail.
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}"
fi
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
echo "nats-server: $(nats-server --version 2>/dev/null || echo missing); go: $(go version 2>/dev/null || echo missing); kubectl: $(kubectl version --client 2>/dev/null | head -1 || echo missing); ffmpeg: $(ffmpeg -version 2>/dev/null | head -1 | cut -d' ' -f3 || echo missing); protoc: $(protoc --version 2>/dev/null || echo missing)"
