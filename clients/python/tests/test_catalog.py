"""booru_client against a running `booru up` with tokens configured.

Driven by test/integration/python-client.test.ts, which starts the server, ingests images and
sets:
  BOORU_TEST_ADDRESS        the gRPC address
  BOORU_TEST_READ_TOKEN     a token with the read scope
  BOORU_TEST_MD5S           comma-separated md5s of the images ingested (random noise)
  BOORU_TEST_PAIR           md5s of an image and of its re-encoded copy, both ingested
  BOORU_TEST_INBOX          the inbox, for the live-event tests to drop files into
  BOORU_TEST_SPARE          a folder of images not ingested yet (each test takes its own)
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

import grpc

import booru_client
from booru_client import Catalog, catalog_pb2, catalog_pb2_grpc
from booru_client.errors import from_rpc_error

ADDRESS = os.environ["BOORU_TEST_ADDRESS"]
TOKEN = os.environ["BOORU_TEST_READ_TOKEN"]
MD5S = os.environ["BOORU_TEST_MD5S"].split(",")
PAIR = os.environ["BOORU_TEST_PAIR"].split(",")
INBOX = Path(os.environ["BOORU_TEST_INBOX"])
SPARE = Path(os.environ["BOORU_TEST_SPARE"])
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "follow_to_sqlite.py"
WAIT_S = 60.0


def take_spare() -> Path:
    """A not-yet-ingested image, moved out of the spare folder so no other test gets it."""
    spare = sorted(SPARE.iterdir())[0]
    mine = Path(tempfile.mkdtemp()) / spare.name
    shutil.move(str(spare), mine)
    return mine


def drop(image: Path) -> str:
    """Puts the image into the inbox (complete, by rename) and returns its md5."""
    md5 = hashlib.md5(image.read_bytes()).hexdigest()
    staged = INBOX.parent / f".{image.name}"
    shutil.copyfile(image, staged)
    staged.rename(INBOX / image.name)
    return md5


def wait_until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Reads(unittest.TestCase):
    def setUp(self) -> None:
        self.catalog = Catalog(ADDRESS, token=TOKEN)
        self.addCleanup(self.catalog.close)

    def test_stats_counts_the_ingested_images(self) -> None:
        stats = self.catalog.stats()
        self.assertIsInstance(stats, catalog_pb2.GetStatsResponse)
        self.assertGreaterEqual(stats.images, len(MD5S))
        self.assertGreater(stats.bytes, 0)

    def test_iter_images_follows_the_pages(self) -> None:
        # page_size 2 over the ingested images: several pages, each image once, newest first.
        images = list(self.catalog.iter_images(page_size=2))
        md5s = [i.md5 for i in images]
        self.assertEqual(len(md5s), len(set(md5s)))
        self.assertTrue(set(MD5S) <= set(md5s), "every ingested image is listed")
        times = [i.ingested_unix_ms for i in images]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(list(self.catalog.iter_images(page_size=1000)), images)

    def test_iter_images_filters(self) -> None:
        self.assertEqual(list(self.catalog.iter_images(format="png")), [])
        jpegs = list(self.catalog.iter_images(format="jpeg", page_size=3))
        self.assertTrue(set(MD5S) <= {i.md5 for i in jpegs})
        future = int(time.time() * 1000) + 3_600_000
        self.assertEqual(list(self.catalog.iter_images(ingested_after_unix_ms=future)), [])

    def test_get_returns_the_record_with_its_hashes(self) -> None:
        image = self.catalog.get(MD5S[0])
        self.assertIsInstance(image, catalog_pb2.Image)
        self.assertEqual(image.md5, MD5S[0])
        self.assertEqual(image.hashes.md5, MD5S[0])
        self.assertRegex(image.hashes.sha256, r"^[0-9a-f]{64}$")
        self.assertRegex(image.hashes.phash64, r"^[0-9a-f]{16}$")
        self.assertTrue(image.library_path.endswith(f"{MD5S[0]}.jpg"), image.library_path)
        self.assertEqual(image.info.format, "jpeg")

    def test_thumbnail_bytes_are_an_image(self) -> None:
        thumb = self.catalog.thumbnail(MD5S[0])
        self.assertGreater(len(thumb.data), 100)
        self.assertGreater(thumb.width, 0)
        magic = {"image/webp": (0, b"RIFF"), "image/jpeg": (0, b"\xff\xd8\xff"), "image/png": (0, b"\x89PNG"), "image/avif": (4, b"ftyp")}
        offset, expected = magic[thumb.mime]
        self.assertEqual(thumb.data[offset : offset + len(expected)], expected)

    def test_similar_finds_the_near_duplicate(self) -> None:
        original, reencoded = PAIR
        matches = self.catalog.similar(original)
        self.assertEqual(matches[0].image.md5, reencoded)
        self.assertLessEqual(matches[0].distance, 8)
        self.assertNotIn(original, [m.image.md5 for m in matches], "asking by md5 leaves the image itself out")
        # By a hash value: the image itself at distance 0, then its re-encoded copy.
        by_hash = self.catalog.similar(self.catalog.get(original).hashes.phash256, algo="phash256")
        self.assertEqual([(m.image.md5, m.distance == 0) for m in by_hash[:2]], [(original, True), (reencoded, False)])
        distances = [m.distance for m in by_hash]
        self.assertEqual(distances, sorted(distances))
        self.assertEqual(len(self.catalog.similar(original, algo="blockhash256", max_distance=256, limit=3)), 3)
        self.assertEqual(self.catalog.similar(MD5S[0], max_distance=0), [])

    def test_errors_name_the_status(self) -> None:
        with self.assertRaises(booru_client.NotFound) as nf:
            self.catalog.get("0" * 32)
        self.assertEqual(nf.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertIn("NOT_FOUND", str(nf.exception))
        with self.assertRaises(booru_client.InvalidArgument) as bad:
            self.catalog.get("not-an-md5")
        # A malformed request carries no file reason code; the message says what is wrong.
        self.assertIsNone(bad.exception.reason)
        self.assertIn("md5", bad.exception.details)
        with self.assertRaises(booru_client.InvalidArgument):
            self.catalog.similar("abc")
        with self.assertRaises(booru_client.NotFound):
            self.catalog.thumbnail("0" * 32)
        with self.assertRaises(ValueError):
            self.catalog.similar(MD5S[0], algo="sha1")
        self.assertTrue(issubclass(booru_client.NotFound, booru_client.BooruError))


class Auth(unittest.TestCase):
    def test_no_token_and_a_wrong_token_are_unauthenticated(self) -> None:
        for token in (None, "not-a-token-0123456789"):
            with Catalog(ADDRESS, token=token) as catalog:
                with self.assertRaises(booru_client.Unauthenticated) as err:
                    catalog.stats()
                self.assertEqual(err.exception.code, grpc.StatusCode.UNAUTHENTICATED)
                with self.assertRaises(booru_client.Unauthenticated):
                    next(iter(catalog.iter_images()))
                with self.assertRaises(booru_client.Unauthenticated):
                    next(catalog.events())

    def test_a_call_beyond_the_token_scope_is_permission_denied(self) -> None:
        # The client layer only reads; the generated stub reaches the admin-only DeleteImage.
        with grpc.insecure_channel(ADDRESS) as channel:
            stub = catalog_pb2_grpc.CatalogStub(channel)  # type: ignore[no-untyped-call]
            with self.assertRaises(grpc.RpcError) as raw:
                stub.DeleteImage(catalog_pb2.DeleteImageRequest(md5=MD5S[0]), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=10)
        err = from_rpc_error(raw.exception)
        self.assertIsInstance(err, booru_client.PermissionDenied)
        with Catalog(ADDRESS, token=TOKEN) as catalog:
            self.assertEqual(catalog.get(MD5S[0]).md5, MD5S[0], "still there")

    def test_an_unreachable_server_is_unavailable(self) -> None:
        with Catalog("127.0.0.1:1", token=TOKEN, timeout=5) as catalog:
            with self.assertRaises(booru_client.Unavailable):
                catalog.stats()


class Events(unittest.TestCase):
    def test_events_stream_each_new_image(self) -> None:
        with Catalog(ADDRESS, token=TOKEN) as catalog:
            events = catalog.events()
            md5 = drop(take_spare())
            event = next(e for e in events if e.WhichOneof("kind") == "ingested" and e.ingested.md5 == md5)
            self.assertGreater(event.at_unix_ms, 0)
            self.assertRegex(event.ingested.hashes.phash64, r"^[0-9a-f]{16}$")
            events.close()  # cancels the stream
            self.assertEqual(catalog.get(md5).md5, md5)


class FollowToSqliteExample(unittest.TestCase):
    """examples/follow_to_sqlite.py, run as a user would."""

    def start(self, db: Path) -> "Lines":
        proc = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--db", str(db), "--address", ADDRESS, "--token", TOKEN],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = Lines(proc)
        self.addCleanup(lines.stop)
        return lines

    def rows(self, db: Path) -> List[Tuple[str, ...]]:
        with sqlite3.connect(db) as conn:
            return list(conn.execute("SELECT md5, path, sha256, phash64, blockhash256, colorhash42 FROM images"))

    def test_catches_up_then_adds_each_new_image(self) -> None:
        db = Path(tempfile.mkdtemp()) / "booru.sqlite"
        with Catalog(ADDRESS, token=TOKEN) as catalog:
            everything = {i.md5: i for i in catalog.iter_images(page_size=1000)}
        lines = self.start(db)
        lines.wait_for(f"caught up: {len(everything)} images")
        rows = {r[0]: r for r in self.rows(db)}
        self.assertEqual(set(rows), set(everything))
        first = everything[MD5S[0]]
        self.assertEqual(rows[MD5S[0]], (first.md5, first.library_path, first.hashes.sha256, first.hashes.phash64, first.hashes.blockhash256, first.hashes.colorhash42))

        md5 = drop(take_spare())
        lines.wait_for(f"added {md5} ")
        row = next(r for r in self.rows(db) if r[0] == md5)
        self.assertTrue(row[1].endswith(f"{md5}.jpg"))
        self.assertRegex(row[3], r"^[0-9a-f]{16}$")

        # A restart catches up from its newest row: nothing is lost, nothing doubled.
        lines.stop()
        missed = drop(take_spare())
        with Catalog(ADDRESS, token=TOKEN) as catalog:
            wait_until("the missed image to be ingested", lambda: _exists(catalog, missed))
        lines = self.start(db)
        lines.wait_for("caught up:")
        self.assertIn(missed, {r[0] for r in self.rows(db)})
        self.assertEqual(len(self.rows(db)), len(everything) + 2)


def _exists(catalog: Catalog, md5: str) -> bool:
    try:
        catalog.get(md5)
        return True
    except booru_client.NotFound:
        return False


class Lines:
    """A subprocess's output lines, read on a thread so a test can wait for one with a deadline."""

    def __init__(self, proc: "subprocess.Popen[str]") -> None:
        self.proc = proc
        self.seen: List[str] = []
        self._queue: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def wait_for(self, prefix: str) -> str:
        deadline = time.monotonic() + WAIT_S
        for line in self._lines(deadline):
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r} in {self.seen}")

    def _lines(self, deadline: float) -> Iterator[str]:
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if line is None:
                return
            self.seen.append(line)
            yield line


if __name__ == "__main__":
    unittest.main()
