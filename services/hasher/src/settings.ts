import { availableParallelism, tmpdir } from "node:os";
import { settings, type ConfigOf } from "@booru/runtime";

const cpus = Math.max(1, availableParallelism());

export const hasherSettings = {
  hasherMaxBytes: settings.bytes("BOORU_HASHER_MAX_BYTES", 256 * 1024 ** 2, "largest image or animation the hasher accepts"),
  hasherMaxVideoBytes: settings.bytes("BOORU_HASHER_MAX_VIDEO_BYTES", 4 * 1024 ** 3, "largest video the hasher accepts"),
  hasherMaxArchiveBytes: settings.bytes("BOORU_HASHER_MAX_ARCHIVE_BYTES", 1024 ** 3, "largest archive (zip, cbz, ugoira) the hasher accepts"),
  hasherMaxPixels: settings.int("BOORU_HASHER_MAX_PIXELS", 100_000_000, "largest image or frame (width x height) the hasher decodes", 1),
  hasherMaxDuration: settings.duration("BOORU_HASHER_MAX_DURATION", 3 * 3_600_000, "longest video or animation (too-long)"),
  hasherMaxFrames: settings.int("BOORU_HASHER_MAX_FRAMES", 1_000_000, "most frames in a video (too-many-frames)", 1),
  hasherMaxAnimationFrames: settings.int("BOORU_HASHER_MAX_ANIMATION_FRAMES", 10_000, "most frames in a GIF, WebP, APNG or ugoira (too-many-frames)", 1),
  hasherMaxArchiveEntries: settings.int("BOORU_HASHER_MAX_ARCHIVE_ENTRIES", 10_000, "most entries in an archive (archive-bomb)", 1),
  hasherMaxArchiveUnpacked: settings.bytes("BOORU_HASHER_MAX_ARCHIVE_UNPACKED", 4 * 1024 ** 3, "most bytes an archive's entries unpack to (archive-bomb)"),
  hasherMaxCompressionRatio: settings.int("BOORU_HASHER_MAX_COMPRESSION_RATIO", 100, "highest unpacked/packed ratio of an archive entry of 1 MiB or more (archive-bomb)", 1),
  hasherTimeout: settings.duration("BOORU_HASHER_TIMEOUT", 60_000, "deadline for one image, from first byte to answer"),
  hasherMediaTimeout: settings.duration("BOORU_HASHER_MEDIA_TIMEOUT", 600_000, "deadline for one video, animation or archive, from first byte to answer; ffmpeg runs are killed at it"),
  hasherMemoryBytes: settings.bytes("BOORU_HASHER_MEMORY_BYTES", 32 * 1024 ** 2, "files larger than this (and every video) are received into a temp file, not memory"),
  hasherTempDir: settings.string("BOORU_HASHER_TEMP_DIR", tmpdir(), "where the hasher keeps temp files (a folder per process, cleaned at start)"),
  hasherFfmpegJobs: settings.int("BOORU_HASHER_FFMPEG_JOBS", cpus, "ffmpeg and ffprobe processes running at once (each decodes on one thread)", 1, 256),
  hasherWorkers: settings.int("BOORU_HASHER_WORKERS", cpus, "threads hashing pixels in JS (0: on the calling thread)", 0, 256),
  thumbSize: settings.int("BOORU_THUMB_SIZE", 512, "thumbnail longest side in pixels (never upscaled)", 16, 4096),
  thumbFormat: settings.oneOf("BOORU_THUMB_FORMAT", ["webp", "jpeg", "png", "avif"], "webp", "thumbnail format"),
  thumbQuality: settings.int("BOORU_THUMB_QUALITY", 80, "thumbnail encoder quality", 1, 100),
  thumbEffort: settings.int("BOORU_THUMB_EFFORT", 1, "thumbnail encoder effort: WebP 0-6, AVIF 0-9 (higher: smaller files, more CPU)", 0, 9),
};

export type HasherConfig = ConfigOf<typeof hasherSettings>;

/** The defaults, for callers without a parsed configuration (the CLI's local hashing). */
export function defaultHasherConfig(): HasherConfig {
  return Object.fromEntries(Object.entries(hasherSettings).map(([k, s]) => [k, s.default])) as HasherConfig;
}
