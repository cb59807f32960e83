"""Python client for the booru-ingest catalog: ``Catalog(address, token=None, tls=None)``.

The generated messages are re-exported here: ``catalog_pb2`` (Image, Event, ...) and
``hasher_pb2`` (Hashes, ImageInfo).
"""

from .catalog import ALGORITHMS, TLS, Catalog
from .errors import (
    BooruError,
    DeadlineExceeded,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from .gen.booru.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from .gen.booru.hasher.v1 import hasher_pb2

__all__ = [
    "ALGORITHMS",
    "TLS",
    "BooruError",
    "Catalog",
    "DeadlineExceeded",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "Unauthenticated",
    "Unavailable",
    "catalog_pb2",
    "catalog_pb2_grpc",
    "hasher_pb2",
]
