from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class FileDiscovered(_message.Message):
    __slots__ = ["discovered_unix_ms", "inbox", "mtime_unix_ms", "path", "size", "watcher_id"]
    DISCOVERED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    INBOX_FIELD_NUMBER: _ClassVar[int]
    MTIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    WATCHER_ID_FIELD_NUMBER: _ClassVar[int]
    discovered_unix_ms: int
    inbox: str
    mtime_unix_ms: int
    path: str
    size: int
    watcher_id: str
    def __init__(self, inbox: _Optional[str] = ..., path: _Optional[str] = ..., size: _Optional[int] = ..., mtime_unix_ms: _Optional[int] = ..., discovered_unix_ms: _Optional[int] = ..., watcher_id: _Optional[str] = ...) -> None: ...
