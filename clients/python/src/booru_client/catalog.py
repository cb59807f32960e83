"""The catalog client: a thin layer over the generated stubs that follows pagination, picks the
similarity query from its argument and turns gRPC errors into exceptions (errors.py)."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Generator, Iterator, List, Optional, Tuple, Union

import grpc

from .errors import from_rpc_error
from .gen.booru.catalog.v1 import catalog_pb2, catalog_pb2_grpc

#: ``tls`` argument: None or False for plaintext, True for TLS verified against the system's
#: roots, a path to a PEM CA certificate to verify against, or ready-made channel credentials.
TLS = Union[None, bool, str, grpc.ChannelCredentials]

ALGORITHMS: Dict[str, catalog_pb2.SimilarAlgorithm] = {
    "phash64": catalog_pb2.SIMILAR_ALGORITHM_PHASH64,
    "dhash64": catalog_pb2.SIMILAR_ALGORITHM_DHASH64,
    "phash256": catalog_pb2.SIMILAR_ALGORITHM_PHASH256,
    "blockhash256": catalog_pb2.SIMILAR_ALGORITHM_BLOCKHASH256,
}

# An md5 is 32 hex digits; the similarity hashes are 16 (64-bit) or 64 (256-bit).
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
# The server sends at most 8 MiB per message.
_OPTIONS = [("grpc.max_receive_message_length", 8 * 1024 * 1024)]


def _channel(address: str, tls: TLS) -> grpc.Channel:
    if tls is None or tls is False:
        return grpc.insecure_channel(address, options=_OPTIONS)
    if tls is True:
        creds = grpc.ssl_channel_credentials()
    elif isinstance(tls, str):
        with open(tls, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
    else:
        creds = tls
    return grpc.secure_channel(address, creds, options=_OPTIONS)


class Catalog:
    """A connection to a booru-ingest catalog (``booru up`` listens on 127.0.0.1:50051).

    Every method returns the generated protobuf messages (booru_client.catalog_pb2) and raises
    a BooruError subclass when the call fails. ``timeout`` (seconds) bounds each call except
    the ``events()`` stream. Use it as a context manager, or call ``close()``.
    """

    def __init__(self, address: str = "127.0.0.1:50051", token: Optional[str] = None, tls: TLS = None, timeout: Optional[float] = 30.0) -> None:
        self._channel = _channel(address, tls)
        # grpc has no type information here, so the stub is untyped: each method below
        # declares what it returns.
        self._stub: Any = catalog_pb2_grpc.CatalogStub(self._channel)  # type: ignore[no-untyped-call]
        self._metadata: Tuple[Tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def stats(self) -> catalog_pb2.GetStatsResponse:
        """Images, bytes, duplicates avoided, rejections by reason."""
        response: catalog_pb2.GetStatsResponse = self._call(self._stub.GetStats, catalog_pb2.GetStatsRequest())
        return response

    def iter_images(
        self,
        *,
        page_size: int = 100,
        format: Optional[str] = None,
        min_bytes: Optional[int] = None,
        max_bytes: Optional[int] = None,
        ingested_after_unix_ms: Optional[int] = None,
        ingested_before_unix_ms: Optional[int] = None,
    ) -> Iterator[catalog_pb2.Image]:
        """Every image matching the filters, newest first, fetching page after page."""
        request = catalog_pb2.ListImagesRequest(
            page_size=page_size,
            format=format or "",
            min_bytes=min_bytes or 0,
            max_bytes=max_bytes or 0,
            ingested_after_unix_ms=ingested_after_unix_ms or 0,
            ingested_before_unix_ms=ingested_before_unix_ms or 0,
        )
        while True:
            page: catalog_pb2.ListImagesResponse = self._call(self._stub.ListImages, request)
            yield from page.images
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def get(self, md5: str) -> catalog_pb2.Image:
        """The record of one image; NotFound when the catalog has none."""
        response: catalog_pb2.GetImageResponse = self._call(self._stub.GetImage, catalog_pb2.GetImageRequest(md5=md5))
        return response.image

    def thumbnail(self, md5: str) -> catalog_pb2.GetThumbnailResponse:
        """The thumbnail's bytes (``.data``), ``.mime``, ``.width`` and ``.height``."""
        response: catalog_pb2.GetThumbnailResponse = self._call(self._stub.GetThumbnail, catalog_pb2.GetThumbnailRequest(md5=md5))
        return response

    def similar(self, md5_or_hash: str, algo: str = "phash64", max_distance: Optional[int] = None, limit: Optional[int] = None) -> List[catalog_pb2.SimilarMatch]:
        """Images within ``max_distance`` (Hamming; server default 8 for 64-bit hashes, 32 for
        256-bit) of an image in the catalog (its md5) or of a hash value (hex), nearest first.
        ``algo``: phash64, dhash64, phash256 or blockhash256."""
        if algo not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {algo!r}: expected one of {', '.join(ALGORITHMS)}")
        request = catalog_pb2.FindSimilarRequest(algorithm=ALGORITHMS[algo], limit=limit or 0)
        if _MD5.match(md5_or_hash):
            request.md5 = md5_or_hash.lower()
        else:
            request.hash = md5_or_hash
        if max_distance is not None:
            request.max_distance = max_distance
        response: catalog_pb2.FindSimilarResponse = self._call(self._stub.FindSimilar, request)
        return list(response.matches)

    def events(self) -> Generator[catalog_pb2.Event, None, None]:
        """The live events (image ingested, duplicate, rejected, deleted) from the moment of
        this call. The stream ends when the generator is closed (``close()``, or dropped after a
        ``break``), which cancels it; when the server shuts down (iteration stops); or with an
        exception (Unavailable when the server went away). Events from before the call are not
        replayed: call events() first, then iter_images() to catch up, and nothing falls
        between the two."""
        # Started here, not at the first next(), so that the subscription precedes a catch-up.
        call = self._stub.WatchEvents(catalog_pb2.WatchEventsRequest(), metadata=self._metadata)
        return self._stream(call)

    @staticmethod
    def _stream(call: Any) -> Generator[catalog_pb2.Event, None, None]:
        try:
            for response in call:
                yield response.event
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None
        finally:
            call.cancel()

    def _call(self, method: Callable[..., Any], request: Any) -> Any:
        try:
            return method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None
