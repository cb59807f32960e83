#!/usr/bin/env bash
# Builds grpcurl (the standard gRPC command-line client) from the Go module proxy into a cache
# folder and prints the binary's path. Cached: a second run only prints the path.
# The grpcurl tests and the README's examples use it.
set -euo pipefail
VERSION=v1.9.4
CACHE="${BOORU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/booru-ingest}/grpcurl-$VERSION"
BIN="$CACHE/grpcurl"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "go is not installed: cannot build grpcurl" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"
cd "$WORK"
GOBIN="$WORK" go install -ldflags "-X main.version=$VERSION" "github.com/fullstorydev/grpcurl/cmd/grpcurl@$VERSION" >&2
mv "$WORK/grpcurl" "$BIN"
echo "$BIN"
