#!/usr/bin/env bash
# Builds FerretDB v1.24.2 (SQLite backend) from the Go module proxy into a cache folder and
# prints the binary's path. Cached: a second run only prints the path.
# If the SQLite backend will not compile, builds without it (-tags ferretdb_no_sqlite); the
# harness then uses the PostgreSQL backend on the local server. The chosen backend is written
# beside the binary.
# ferretdb.patch is applied to a copy of the module (used through `replace`). Each change is marked
# "booru-ingest:" in it:
# - FerretDB 1.24 filters `_id` with jsonb `@>`, which no btree index serves, so on PostgreSQL
#   every lookup by `_id` read the whole table; patched, `_id` equality and `$in` use the primary key.
# - An update (or findAndModify) that found its document wrote it while its read still held a
#   pooled PostgreSQL connection, and an update command kept every statement's read open to its
#   end: 50 such at once (the pool's size; e.g. one command of 50 matching upserts) waited for a
#   51st connection for good and FerretDB stopped answering anyone (issue 14). Patched, a query
#   with a limit releases its connection as soon as it has returned its last document.
# - FerretDB 1.24 pushes down no sort and no range: a newest-first page read and sorted the whole
#   collection (over 20 s at 100,000 images). Patched, a find with a sort that an index serves, a
#   limit, and a filter of equalities and comparisons on top-level fields ($and / $or of them) is
#   one PostgreSQL query with WHERE, ORDER BY on the index's expressions, and LIMIT.
# - FerretDB 1.24 updates a document by reading it, changing it in Go and writing it back, with no
#   check that it is unchanged: of two $inc at once one was lost (two catalog replicas counted 195
#   of 200 images), and two conditional updates ({_id, owner: ""}) both "won". Patched, the write
#   is a compare-and-swap (WHERE _id = ... AND the document = the one read); when it loses, the
#   document is read again and, if it still matches the filter, changed again.
set -euo pipefail
VERSION=v1.24.2
SRC="$(cd "$(dirname "$0")/../test/harness/ferretdb" && pwd)"
PATCH="$(cd "$(dirname "$0")" && pwd)/ferretdb.patch"
# The launcher's source and the patch are the key: a change to either rebuilds.
KEY="$(cat "$SRC/main.go" "$PATCH" | md5sum | cut -c1-8)"
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
# A writable copy of the module with the patch, used in place of the proxy's.
cp -r "$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)" ferretdb
chmod -R u+w ferretdb
(cd ferretdb && git apply -p1 "$PATCH")
go mod edit -replace github.com/FerretDB/FerretDB=./ferretdb
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
