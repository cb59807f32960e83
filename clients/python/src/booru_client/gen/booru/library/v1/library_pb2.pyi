from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetOriginalRequest(_message.Message):
    __slots__ = ["length", "md5", "offset"]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    length: int
    md5: str
    offset: int
    def __init__(self, md5: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class GetOriginalResponse(_message.Message):
    __slots__ = ["chunk", "size"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    size: int
    def __init__(self, size: _Optional[int] = ..., chunk: _Optional[bytes] = ...) -> None: ...
