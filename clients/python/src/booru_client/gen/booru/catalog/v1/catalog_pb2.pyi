from booru_client.gen.booru.hasher.v1 import hasher_pb2 as _hasher_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
DISPOSITION_DELETED: Disposition
DISPOSITION_KEPT: Disposition
DISPOSITION_MOVED: Disposition
DISPOSITION_UNSPECIFIED: Disposition
SIMILAR_ALGORITHM_BLOCKHASH256: SimilarAlgorithm
SIMILAR_ALGORITHM_DHASH64: SimilarAlgorithm
SIMILAR_ALGORITHM_FRAMES: SimilarAlgorithm
SIMILAR_ALGORITHM_PHASH256: SimilarAlgorithm
SIMILAR_ALGORITHM_PHASH64: SimilarAlgorithm
SIMILAR_ALGORITHM_UNSPECIFIED: SimilarAlgorithm

class AbsorbedCopy(_message.Message):
    __slots__ = ["at_unix_ms", "md5", "original_name", "source_path"]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    md5: str
    original_name: str
    source_path: str
    def __init__(self, md5: _Optional[str] = ..., original_name: _Optional[str] = ..., source_path: _Optional[str] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...

class ActivityMinute(_message.Message):
    __slots__ = ["duplicates", "ingested", "near_duplicates", "rejected", "start_unix_ms"]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    INGESTED_FIELD_NUMBER: _ClassVar[int]
    NEAR_DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    START_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    duplicates: int
    ingested: int
    near_duplicates: int
    rejected: int
    start_unix_ms: int
    def __init__(self, start_unix_ms: _Optional[int] = ..., ingested: _Optional[int] = ..., duplicates: _Optional[int] = ..., rejected: _Optional[int] = ..., near_duplicates: _Optional[int] = ...) -> None: ...

class DeleteImageRequest(_message.Message):
    __slots__ = ["md5"]
    MD5_FIELD_NUMBER: _ClassVar[int]
    md5: str
    def __init__(self, md5: _Optional[str] = ...) -> None: ...

class DeleteImageResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: bool = ...) -> None: ...

class DeleteRejectionRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteRejectionResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Duplicate(_message.Message):
    __slots__ = ["at_unix_ms", "disposition", "id", "md5", "source_path", "stored_path"]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    STORED_PATH_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    disposition: Disposition
    id: str
    md5: str
    source_path: str
    stored_path: str
    def __init__(self, id: _Optional[str] = ..., md5: _Optional[str] = ..., source_path: _Optional[str] = ..., disposition: _Optional[_Union[Disposition, str]] = ..., stored_path: _Optional[str] = ..., at_unix_ms: _Optional[int] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ["at_unix_ms", "deleted_md5", "duplicate", "ingested", "near_group_changed", "near_group_created", "near_group_resolved", "rejected"]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    DELETED_MD5_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    INGESTED_FIELD_NUMBER: _ClassVar[int]
    NEAR_GROUP_CHANGED_FIELD_NUMBER: _ClassVar[int]
    NEAR_GROUP_CREATED_FIELD_NUMBER: _ClassVar[int]
    NEAR_GROUP_RESOLVED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    deleted_md5: str
    duplicate: Duplicate
    ingested: Image
    near_group_changed: NearDuplicateGroup
    near_group_created: NearDuplicateGroup
    near_group_resolved: str
    rejected: Rejection
    def __init__(self, at_unix_ms: _Optional[int] = ..., ingested: _Optional[_Union[Image, _Mapping]] = ..., duplicate: _Optional[_Union[Duplicate, _Mapping]] = ..., rejected: _Optional[_Union[Rejection, _Mapping]] = ..., deleted_md5: _Optional[str] = ..., near_group_created: _Optional[_Union[NearDuplicateGroup, _Mapping]] = ..., near_group_changed: _Optional[_Union[NearDuplicateGroup, _Mapping]] = ..., near_group_resolved: _Optional[str] = ...) -> None: ...

class FindSimilarRequest(_message.Message):
    __slots__ = ["algorithm", "hash", "limit", "max_distance", "md5"]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MAX_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    algorithm: SimilarAlgorithm
    hash: str
    limit: int
    max_distance: int
    md5: str
    def __init__(self, md5: _Optional[str] = ..., hash: _Optional[str] = ..., algorithm: _Optional[_Union[SimilarAlgorithm, str]] = ..., max_distance: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class FindSimilarResponse(_message.Message):
    __slots__ = ["matches"]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[SimilarMatch]
    def __init__(self, matches: _Optional[_Iterable[_Union[SimilarMatch, _Mapping]]] = ...) -> None: ...

class GetActivityRequest(_message.Message):
    __slots__ = ["minutes"]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    minutes: int
    def __init__(self, minutes: _Optional[int] = ...) -> None: ...

class GetActivityResponse(_message.Message):
    __slots__ = ["backlog", "in_flight", "minutes"]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    backlog: int
    in_flight: int
    minutes: _containers.RepeatedCompositeFieldContainer[ActivityMinute]
    def __init__(self, minutes: _Optional[_Iterable[_Union[ActivityMinute, _Mapping]]] = ..., backlog: _Optional[int] = ..., in_flight: _Optional[int] = ...) -> None: ...

class GetImageRequest(_message.Message):
    __slots__ = ["md5", "sha256"]
    MD5_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    md5: str
    sha256: str
    def __init__(self, md5: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class GetImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ["bytes", "duplicates", "ignored", "ignored_by_reason", "images", "ingested_last_minute", "rejected", "rejected_by_reason"]
    class IgnoredByReasonEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class RejectedByReasonEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BYTES_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    IGNORED_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    IGNORED_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    INGESTED_LAST_MINUTE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    duplicates: int
    ignored: int
    ignored_by_reason: _containers.ScalarMap[str, int]
    images: int
    ingested_last_minute: int
    rejected: int
    rejected_by_reason: _containers.ScalarMap[str, int]
    def __init__(self, images: _Optional[int] = ..., bytes: _Optional[int] = ..., duplicates: _Optional[int] = ..., rejected_by_reason: _Optional[_Mapping[str, int]] = ..., ingested_last_minute: _Optional[int] = ..., rejected: _Optional[int] = ..., ignored: _Optional[int] = ..., ignored_by_reason: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetThumbnailRequest(_message.Message):
    __slots__ = ["md5"]
    MD5_FIELD_NUMBER: _ClassVar[int]
    md5: str
    def __init__(self, md5: _Optional[str] = ...) -> None: ...

class GetThumbnailResponse(_message.Message):
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

class Image(_message.Message):
    __slots__ = ["absorbed", "hashes", "info", "ingested_unix_ms", "library_path", "md5", "original_name", "source_path", "thumbnail_height", "thumbnail_mime", "thumbnail_width"]
    ABSORBED_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    INGESTED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    LIBRARY_PATH_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_MIME_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_WIDTH_FIELD_NUMBER: _ClassVar[int]
    absorbed: _containers.RepeatedCompositeFieldContainer[AbsorbedCopy]
    hashes: _hasher_pb2.Hashes
    info: _hasher_pb2.ImageInfo
    ingested_unix_ms: int
    library_path: str
    md5: str
    original_name: str
    source_path: str
    thumbnail_height: int
    thumbnail_mime: str
    thumbnail_width: int
    def __init__(self, md5: _Optional[str] = ..., hashes: _Optional[_Union[_hasher_pb2.Hashes, _Mapping]] = ..., info: _Optional[_Union[_hasher_pb2.ImageInfo, _Mapping]] = ..., original_name: _Optional[str] = ..., source_path: _Optional[str] = ..., library_path: _Optional[str] = ..., ingested_unix_ms: _Optional[int] = ..., thumbnail_width: _Optional[int] = ..., thumbnail_height: _Optional[int] = ..., thumbnail_mime: _Optional[str] = ..., absorbed: _Optional[_Iterable[_Union[AbsorbedCopy, _Mapping]]] = ...) -> None: ...

class KeepOnly(_message.Message):
    __slots__ = ["md5s"]
    MD5S_FIELD_NUMBER: _ClassVar[int]
    md5s: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, md5s: _Optional[_Iterable[str]] = ...) -> None: ...

class ListDuplicatesRequest(_message.Message):
    __slots__ = ["md5", "page_size", "page_token"]
    MD5_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    md5: str
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., md5: _Optional[str] = ...) -> None: ...

class ListDuplicatesResponse(_message.Message):
    __slots__ = ["duplicates", "next_page_token"]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    duplicates: _containers.RepeatedCompositeFieldContainer[Duplicate]
    next_page_token: str
    def __init__(self, duplicates: _Optional[_Iterable[_Union[Duplicate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListImagesRequest(_message.Message):
    __slots__ = ["format", "ingested_after_unix_ms", "ingested_before_unix_ms", "kind", "max_bytes", "min_bytes", "oldest_first", "page_size", "page_token"]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    INGESTED_AFTER_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    INGESTED_BEFORE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MIN_BYTES_FIELD_NUMBER: _ClassVar[int]
    OLDEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    format: str
    ingested_after_unix_ms: int
    ingested_before_unix_ms: int
    kind: _hasher_pb2.MediaKind
    max_bytes: int
    min_bytes: int
    oldest_first: bool
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., format: _Optional[str] = ..., min_bytes: _Optional[int] = ..., max_bytes: _Optional[int] = ..., ingested_after_unix_ms: _Optional[int] = ..., ingested_before_unix_ms: _Optional[int] = ..., kind: _Optional[_Union[_hasher_pb2.MediaKind, str]] = ..., oldest_first: bool = ...) -> None: ...

class ListImagesResponse(_message.Message):
    __slots__ = ["images", "next_page_token"]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[Image]
    next_page_token: str
    def __init__(self, images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNearDuplicatesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNearDuplicatesResponse(_message.Message):
    __slots__ = ["groups", "next_page_token"]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[NearDuplicateGroup]
    next_page_token: str
    def __init__(self, groups: _Optional[_Iterable[_Union[NearDuplicateGroup, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRejectionsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "reason"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    reason: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListRejectionsResponse(_message.Message):
    __slots__ = ["next_page_token", "rejections"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    rejections: _containers.RepeatedCompositeFieldContainer[Rejection]
    def __init__(self, rejections: _Optional[_Iterable[_Union[Rejection, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NearDuplicateGroup(_message.Message):
    __slots__ = ["id", "members", "suggested_keep", "updated_unix_ms"]
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_KEEP_FIELD_NUMBER: _ClassVar[int]
    UPDATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    members: _containers.RepeatedCompositeFieldContainer[NearDuplicateMember]
    suggested_keep: str
    updated_unix_ms: int
    def __init__(self, id: _Optional[str] = ..., suggested_keep: _Optional[str] = ..., members: _Optional[_Iterable[_Union[NearDuplicateMember, _Mapping]]] = ..., updated_unix_ms: _Optional[int] = ...) -> None: ...

class NearDuplicateMember(_message.Message):
    __slots__ = ["bytes", "distance", "format", "height", "ingested_unix_ms", "md5", "original_name", "width"]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INGESTED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_NAME_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    distance: int
    format: str
    height: int
    ingested_unix_ms: int
    md5: str
    original_name: str
    width: int
    def __init__(self, md5: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., bytes: _Optional[int] = ..., format: _Optional[str] = ..., ingested_unix_ms: _Optional[int] = ..., distance: _Optional[int] = ..., original_name: _Optional[str] = ...) -> None: ...

class PutImageRequest(_message.Message):
    __slots__ = ["image", "thumbnail"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    image: Image
    thumbnail: bytes
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., thumbnail: _Optional[bytes] = ...) -> None: ...

class PutImageResponse(_message.Message):
    __slots__ = ["created", "image"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    created: bool
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., created: bool = ...) -> None: ...

class RecordDuplicateRequest(_message.Message):
    __slots__ = ["duplicate"]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    duplicate: Duplicate
    def __init__(self, duplicate: _Optional[_Union[Duplicate, _Mapping]] = ...) -> None: ...

class RecordDuplicateResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class RecordRejectionRequest(_message.Message):
    __slots__ = ["rejection"]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    rejection: Rejection
    def __init__(self, rejection: _Optional[_Union[Rejection, _Mapping]] = ...) -> None: ...

class RecordRejectionResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Rejection(_message.Message):
    __slots__ = ["at_unix_ms", "attempts", "id", "md5", "message", "reason", "source_path", "stored_path"]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    STORED_PATH_FIELD_NUMBER: _ClassVar[int]
    at_unix_ms: int
    attempts: int
    id: str
    md5: str
    message: str
    reason: str
    source_path: str
    stored_path: str
    def __init__(self, id: _Optional[str] = ..., source_path: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., stored_path: _Optional[str] = ..., at_unix_ms: _Optional[int] = ..., attempts: _Optional[int] = ..., md5: _Optional[str] = ...) -> None: ...

class RescanNearDuplicatesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class RescanNearDuplicatesResponse(_message.Message):
    __slots__ = ["groups", "images", "millis", "pairs"]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    MILLIS_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    groups: int
    images: int
    millis: int
    pairs: int
    def __init__(self, images: _Optional[int] = ..., pairs: _Optional[int] = ..., groups: _Optional[int] = ..., millis: _Optional[int] = ...) -> None: ...

class ResolveNearDuplicatesRequest(_message.Message):
    __slots__ = ["apply_suggestion", "group_id", "keep", "keep_all"]
    APPLY_SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    KEEP_ALL_FIELD_NUMBER: _ClassVar[int]
    KEEP_FIELD_NUMBER: _ClassVar[int]
    apply_suggestion: bool
    group_id: str
    keep: KeepOnly
    keep_all: bool
    def __init__(self, group_id: _Optional[str] = ..., keep: _Optional[_Union[KeepOnly, _Mapping]] = ..., keep_all: bool = ..., apply_suggestion: bool = ...) -> None: ...

class ResolveNearDuplicatesResponse(_message.Message):
    __slots__ = ["dropped", "kept"]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    dropped: _containers.RepeatedScalarFieldContainer[str]
    kept: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kept: _Optional[_Iterable[str]] = ..., dropped: _Optional[_Iterable[str]] = ...) -> None: ...

class RetryRejectionRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RetryRejectionResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class SimilarMatch(_message.Message):
    __slots__ = ["distance", "image"]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    distance: int
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., distance: _Optional[int] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class WatchEventsResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class Disposition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SimilarAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
