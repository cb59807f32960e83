#!/usr/bin/env bash
# Builds FerretDB v1.24.2 (SQLite backend) from the Go module proxy into a cache folder and
# prints the binary's path. Cached: a second run only prints the path.
# If the SQLite backend will not compile, builds without it (-tags ferretdb_no_sqlite); the
# harness then uses the PostgreSQL backend on the local server. The chosen backend is written
# beside the binary.
set -euo pipefail
VERSION=v1.24.2
SRC="$(cd "$(dirname "$0")/../test/harness/ferretdb" && pwd)"
# The launcher's own source is part of the key: a change to it rebuilds.
KEY="$(md5sum "$SRC/main.go" | cut -c1-8)"
CACHE="${BOORU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/booru-ingest}/ferretdb-$VERSION-$KEY"
BIN="$CACHE/ferretdb"
if [ -x "$BIN" ] && [ -f "$CACHE/backend" ]; then echo "$BIN"; exit 0; fi
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "go is not installed: cannot build FerretDB" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"
cp "$SRC/main.go" "$WORK/main.go"
cat > "$WORK/go.mod" <<MOD
module booruferretdb

go 1.22

require github.com/FerretDB/FerretDB $VERSION
MOD
cd "$WORK"
export GOFLAGS=-mod=mod
go mod tidy >&2
if go build -o "$BIN.tmp" . >&2; then
  echo sqlite > "$CACHE/backend"
else
  echo "SQLite backend did not compile; building with -tags ferretdb_no_sqlite (PostgreSQL backend)" >&2
  go build -tags ferretdb_no_sqlite -o "$BIN.tmp" . >&2
  echo postgresql > "$CACHE/backend"
fi
mv "$BIN.tmp" "$BIN"
echo "$BIN"
