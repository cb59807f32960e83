from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
MEDIA_KIND_ANIMATION: MediaKind
MEDIA_KIND_ARCHIVE: MediaKind
MEDIA_KIND_IMAGE: MediaKind
MEDIA_KIND_UNSPECIFIED: MediaKind
MEDIA_KIND_VIDEO: MediaKind
THUMBNAIL_FORMAT_AVIF: ThumbnailFormat
THUMBNAIL_FORMAT_JPEG: ThumbnailFormat
THUMBNAIL_FORMAT_PNG: ThumbnailFormat
THUMBNAIL_FORMAT_UNSPECIFIED: ThumbnailFormat
THUMBNAIL_FORMAT_WEBP: ThumbnailFormat

class HashOptions(_message.Message):
    __slots__ = ["file_name", "size", "thumbnail"]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    size: int
    thumbnail: ThumbnailSpec
    def __init__(self, file_name: _Optional[str] = ..., size: _Optional[int] = ..., thumbnail: _Optional[_Union[ThumbnailSpec, _Mapping]] = ...) -> None: ...

class HashRequest(_message.Message):
    __slots__ = ["chunk", "options"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    options: HashOptions
    def __init__(self, options: _Optional[_Union[HashOptions, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class HashResponse(_message.Message):
    __slots__ = ["hashes", "info", "thumbnail"]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    hashes: Hashes
    info: ImageInfo
    thumbnail: Thumbnail
    def __init__(self, hashes: _Optional[_Union[Hashes, _Mapping]] = ..., info: _Optional[_Union[ImageInfo, _Mapping]] = ..., thumbnail: _Optional[_Union[Thumbnail, _Mapping]] = ...) -> None: ...

class Hashes(_message.Message):
    __slots__ = ["ahash64", "blockhash256", "colorhash42", "dhash64", "frame_signature", "hash_version", "md5", "phash256", "phash64", "sha256"]
    AHASH64_FIELD_NUMBER: _ClassVar[int]
    BLOCKHASH256_FIELD_NUMBER: _ClassVar[int]
    COLORHASH42_FIELD_NUMBER: _ClassVar[int]
    DHASH64_FIELD_NUMBER: _ClassVar[int]
    FRAME_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    HASH_VERSION_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    PHASH256_FIELD_NUMBER: _ClassVar[int]
    PHASH64_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    ahash64: str
    blockhash256: str
    colorhash42: str
    dhash64: str
    frame_signature: str
    hash_version: int
    md5: str
    phash256: str
    phash64: str
    sha256: str
    def __init__(self, md5: _Optional[str] = ..., sha256: _Optional[str] = ..., phash64: _Optional[str] = ..., phash256: _Optional[str] = ..., dhash64: _Optional[str] = ..., ahash64: _Optional[str] = ..., blockhash256: _Optional[str] = ..., colorhash42: _Optional[str] = ..., hash_version: _Optional[int] = ..., frame_signature: _Optional[str] = ...) -> None: ...

class ImageInfo(_message.Message):
    __slots__ = ["bytes", "codec", "duration_ms", "entries", "format", "frame_rate", "frames", "has_alpha", "has_audio", "height", "kind", "mime", "orientation", "width"]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    HAS_ALPHA_FIELD_NUMBER: _ClassVar[int]
    HAS_AUDIO_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    ORIENTATION_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    codec: str
    duration_ms: int
    entries: int
    format: str
    frame_rate: float
    frames: int
    has_alpha: bool
    has_audio: bool
    height: int
    kind: MediaKind
    mime: str
    orientation: int
    width: int
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ..., frames: _Optional[int] = ..., has_alpha: bool = ..., orientation: _Optional[int] = ..., bytes: _Optional[int] = ..., mime: _Optional[str] = ..., kind: _Optional[_Union[MediaKind, str]] = ..., duration_ms: _Optional[int] = ..., frame_rate: _Optional[float] = ..., codec: _Optional[str] = ..., has_audio: bool = ..., entries: _Optional[int] = ...) -> None: ...

class Thumbnail(_message.Message):
    __slots__ = ["data", "height", "mime", "width"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    height: int
    mime: str
    width: int
    def __init__(self, data: _Optional[bytes] = ..., mime: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class ThumbnailSpec(_message.Message):
    __slots__ = ["format", "max_side", "quality", "skip"]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MAX_SIDE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    format: ThumbnailFormat
    max_side: int
    quality: int
    skip: bool
    def __init__(self, max_side: _Optional[int] = ..., format: _Optional[_Union[ThumbnailFormat, str]] = ..., quality: _Optional[int] = ..., skip: bool = ...) -> None: ...

class ThumbnailFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class MediaKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
