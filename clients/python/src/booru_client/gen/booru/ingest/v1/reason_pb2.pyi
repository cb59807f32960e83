from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
REASON_ARCHIVE_BOMB: Reason
REASON_CORRUPT: Reason
REASON_DELETED: Reason
REASON_ENCRYPTED: Reason
REASON_GAVE_UP: Reason
REASON_MAX_DELIVERIES: Reason
REASON_MD5_COLLISION: Reason
REASON_NEAR_DUPLICATE: Reason
REASON_OUTSIDE_INBOX: Reason
REASON_TOO_LARGE: Reason
REASON_TOO_LONG: Reason
REASON_TOO_MANY_FRAMES: Reason
REASON_TOO_MANY_PIXELS: Reason
REASON_TRUNCATED: Reason
REASON_UNREADABLE: Reason
REASON_UNSAFE_PATH: Reason
REASON_UNSPECIFIED: Reason
REASON_UNSUPPORTED: Reason
REASON_UNSUPPORTED_CODEC: Reason

class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
