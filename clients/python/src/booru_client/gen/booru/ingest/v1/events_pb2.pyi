from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DELETION_REASON_NEAR_DUPLICATE: DeletionReason
DELETION_REASON_UNSPECIFIED: DeletionReason
DELETION_REASON_USER: DeletionReason
DESCRIPTOR: _descriptor.FileDescriptor
REJECTED_FILE_ACTION_KIND_DELETE: RejectedFileActionKind
REJECTED_FILE_ACTION_KIND_RETRY: RejectedFileActionKind
REJECTED_FILE_ACTION_KIND_UNSPECIFIED: RejectedFileActionKind

class FileDiscovered(_message.Message):
    __slots__ = ["ctime_unix_ms", "discovered_unix_ms", "inbox", "mtime_unix_ms", "path", "size", "watcher_id"]
    CTIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    DISCOVERED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    INBOX_FIELD_NUMBER: _ClassVar[int]
    MTIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    WATCHER_ID_FIELD_NUMBER: _ClassVar[int]
    ctime_unix_ms: int
    discovered_unix_ms: int
    inbox: str
    mtime_unix_ms: int
    path: str
    size: int
    watcher_id: str
    def __init__(self, inbox: _Optional[str] = ..., path: _Optional[str] = ..., size: _Optional[int] = ..., mtime_unix_ms: _Optional[int] = ..., discovered_unix_ms: _Optional[int] = ..., watcher_id: _Optional[str] = ..., ctime_unix_ms: _Optional[int] = ...) -> None: ...

class ImageDeleted(_message.Message):
    __slots__ = ["at_unix_ms", "keeper_md5", "library_path", "md5", "reason", "sha256"]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    KEEPER_MD5_FIELD_NUMBER: _ClassVar[int]
    LIBRARY_PATH_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    keeper_md5: str
    library_path: str
    md5: str
    reason: DeletionReason
    sha256: str
    def __init__(self, md5: _Optional[str] = ..., sha256: _Optional[str] = ..., library_path: _Optional[str] = ..., reason: _Optional[_Union[DeletionReason, str]] = ..., keeper_md5: _Optional[str] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...

class InboxReport(_message.Message):
    __slots__ = ["at_unix_ms", "ignored_by_reason", "inbox", "watcher_id"]
    class IgnoredByReasonEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    IGNORED_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    INBOX_FIELD_NUMBER: _ClassVar[int]
    WATCHER_ID_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    ignored_by_reason: _containers.ScalarMap[str, int]
    inbox: str
    watcher_id: str
    def __init__(self, inbox: _Optional[str] = ..., watcher_id: _Optional[str] = ..., ignored_by_reason: _Optional[_Mapping[str, int]] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...

class RejectedFileAction(_message.Message):
    __slots__ = ["at_unix_ms", "kind", "rejection_id", "source_path", "stored_path"]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REJECTION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    STORED_PATH_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    kind: RejectedFileActionKind
    rejection_id: str
    source_path: str
    stored_path: str
    def __init__(self, rejection_id: _Optional[str] = ..., stored_path: _Optional[str] = ..., source_path: _Optional[str] = ..., kind: _Optional[_Union[RejectedFileActionKind, str]] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...

class DeletionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RejectedFileActionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
