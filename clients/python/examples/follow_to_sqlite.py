#!/usr/bin/env python3
"""Keeps a SQLite table of every image in the catalog, as a Python booru would: md5, library
path and hashes, one row per image, added as images are ingested and removed when deleted.

It subscribes to the live events first, then catches up with what was ingested while it was
not running (from the newest row it has, so a restart is cheap), then applies each event as it
arrives. When the server goes away it reconnects and catches up again.

    python3 follow_to_sqlite.py --db booru.sqlite [--address 127.0.0.1:50051] [--token TOKEN]

Prints one line per row written or removed. Deletions made while it was not running are not
seen (the catalog keeps no log of them); run with --resync to drop rows the catalog no longer has.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from typing import Iterator, Optional

from booru_client import BooruError, Catalog, Unavailable, catalog_pb2

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    md5              TEXT PRIMARY KEY,
    path             TEXT NOT NULL,     -- relative to the library root: ab/cd/<md5>.<ext>
    sha256           TEXT NOT NULL,
    phash64          TEXT NOT NULL,
    phash256         TEXT NOT NULL,
    dhash64          TEXT NOT NULL,
    ahash64          TEXT NOT NULL,
    blockhash256     TEXT NOT NULL,
    colorhash42      TEXT NOT NULL,
    hash_version     INTEGER NOT NULL,
    ingested_unix_ms INTEGER NOT NULL
)
"""
COLUMNS = ("md5", "path", "sha256", "phash64", "phash256", "dhash64", "ahash64", "blockhash256", "colorhash42", "hash_version", "ingested_unix_ms")
UPSERT = (
    f"INSERT INTO images ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
    f"ON CONFLICT(md5) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in COLUMNS[1:])}"
)
# Catch up from a minute before the newest row: catalog replicas' clocks may differ a little.
SLACK_MS = 60_000


def open_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(SCHEMA)
    return db


def upsert(db: sqlite3.Connection, image: catalog_pb2.Image) -> None:
    h = image.hashes
    db.execute(UPSERT, (image.md5, image.library_path, h.sha256, h.phash64, h.phash256, h.dhash64, h.ahash64, h.blockhash256, h.colorhash42, h.hash_version, image.ingested_unix_ms))


def catch_up(catalog: Catalog, db: sqlite3.Connection, resync: bool) -> int:
    """Writes every image ingested since the newest row (all of them with resync, dropping
    rows the catalog no longer has); returns how many were written."""
    newest: Optional[int] = None if resync else db.execute("SELECT max(ingested_unix_ms) FROM images").fetchone()[0]
    seen = set()
    for image in catalog.iter_images(page_size=500, ingested_after_unix_ms=newest - SLACK_MS if newest else None):
        upsert(db, image)
        seen.add(image.md5)
    if resync:
        gone = [md5 for (md5,) in db.execute("SELECT md5 FROM images") if md5 not in seen]
        db.executemany("DELETE FROM images WHERE md5 = ?", [(md5,) for md5 in gone])
        for md5 in gone:
            print(f"removed {md5}", flush=True)
    db.commit()
    return len(seen)


def apply(db: sqlite3.Connection, events: Iterator[catalog_pb2.Event]) -> None:
    for event in events:
        kind = event.WhichOneof("kind")
        if kind == "ingested":
            upsert(db, event.ingested)
            db.commit()
            print(f"added {event.ingested.md5} {event.ingested.library_path}", flush=True)
        elif kind == "deleted_md5":
            db.execute("DELETE FROM images WHERE md5 = ?", (event.deleted_md5,))
            db.commit()
            print(f"removed {event.deleted_md5}", flush=True)


def follow(catalog: Catalog, db: sqlite3.Connection, resync: bool) -> None:
    """Runs until interrupted; reconnects with a growing pause while the server is away."""
    pause = 1.0
    while True:
        try:
            events = catalog.events()  # first, so nothing ingested during the catch-up is missed
            print(f"caught up: {catch_up(catalog, db, resync)} images", flush=True)
            resync = False
            pause = 1.0
            apply(db, events)  # returns when the server shuts down
        except Unavailable as err:
            print(f"server unavailable ({err.details}); retrying in {pause:.0f}s", file=sys.stderr, flush=True)
        time.sleep(pause)
        pause = min(pause * 2, 30.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", required=True, help="the SQLite file (created when missing)")
    parser.add_argument("--address", default="127.0.0.1:50051", help="the catalog's gRPC address")
    parser.add_argument("--token", default=os.environ.get("BOORU_TOKEN"), help="a read token (default: $BOORU_TOKEN)")
    parser.add_argument("--tls-ca", help="verify the server's TLS certificate against this CA (PEM)")
    parser.add_argument("--resync", action="store_true", help="list the whole catalog first and drop rows it no longer has")
    args = parser.parse_args()
    db = open_db(args.db)
    with Catalog(args.address, token=args.token, tls=args.tls_ca) as catalog:
        try:
            follow(catalog, db, args.resync)
        except KeyboardInterrupt:
            return 0
        except BooruError as err:  # a token problem, say: retrying would not help
            print(f"follow_to_sqlite: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
