#!/bin/sh
# PostgreSQL for FerretDB in the same pod: creates the cluster on first start, then serves on
# the pod's loopback only (trust auth is safe there: nothing outside the pod can connect).
set -eu
PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:?set PGDATA to a folder on the volume}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  "$PGBIN/initdb" --pgdata="$PGDATA" --username=postgres --auth=trust --encoding=UTF8 --no-instructions
fi
exec "$PGBIN/postgres" -D "$PGDATA" -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp \
  -c shared_buffers=64MB -c max_connections=200
