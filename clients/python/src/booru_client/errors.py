"""Errors of the catalog API as Python exceptions, one class per gRPC status a caller handles."""

from __future__ import annotations

from typing import Dict, Optional, Type

import grpc

#: The trailer in which the server puts a machine-readable reason (bad-md5, too-large, ...).
REASON_KEY = "booru-reason"


class BooruError(Exception):
    """A call failed. ``code`` is the gRPC status, ``details`` the server's message and
    ``reason`` its reason code (or None)."""

    def __init__(self, code: grpc.StatusCode, details: str, reason: Optional[str] = None) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
        self.reason = reason


class InvalidArgument(BooruError):
    """The request was refused as malformed (a bad md5, hash, page token, limit...)."""


class NotFound(BooruError):
    """No such image (or thumbnail)."""


class Unauthenticated(BooruError):
    """No token, or one the server does not know."""


class PermissionDenied(BooruError):
    """The token lacks the scope the call needs."""


class Unavailable(BooruError):
    """The server cannot be reached or is shutting down: retry later."""


class DeadlineExceeded(BooruError):
    """The call took longer than its timeout."""


_BY_CODE: Dict[grpc.StatusCode, Type[BooruError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def from_rpc_error(err: grpc.RpcError) -> BooruError:
    """The exception for a failed call (grpc raises RpcErrors that are also grpc.Call)."""
    call: grpc.Call = err
    code = call.code()
    reason = next((str(v) for k, v in (call.trailing_metadata() or ()) if k == REASON_KEY), None)
    return _BY_CODE.get(code, BooruError)(code, call.details() or "", reason)
