import { availableParallelism } from "node:os";
import { settings, type ConfigOf } from "@booru/runtime";

export const hasherSettings = {
  hasherMaxBytes: settings.bytes("BOORU_HASHER_MAX_BYTES", 256 * 1024 ** 2, "largest file the hasher accepts"),
  hasherMaxPixels: settings.int("BOORU_HASHER_MAX_PIXELS", 100_000_000, "largest image (width x height) the hasher decodes", 1),
  hasherTimeout: settings.duration("BOORU_HASHER_TIMEOUT", 60_000, "deadline for one Hash call, from first byte to answer"),
  hasherWorkers: settings.int("BOORU_HASHER_WORKERS", Math.max(1, availableParallelism()), "threads hashing pixels in JS (0: on the calling thread)", 0, 256),
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
