/**
 * Hashing service: the same path for gRPC calls and local files. Bytes stream in (byte limit
 * enforced on the way), then one decode with MD5 and SHA-256 computed meanwhile, then the
 * thumbnail (sharp threads) and the perceptual hashes (worker pool) in parallel.
 */
import { createHash } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { AppError, invalid, Reason } from "@booru/runtime";
import type { hasherV1 } from "@booru/proto";
import { BufferPool, type Lease } from "./buffers.js";
import { decode, thumbnail, type ThumbSpec } from "./decode.js";
import type { HashPool } from "./pool.js";
import type { HasherConfig } from "./settings.js";

/**
 * Bumped whenever a hash definition or the decode that feeds it changes, so stored values can
 * be found and recomputed.
 */
export const HASH_VERSION = 1;

const FORMAT_NAMES: Record<number, ThumbSpec["format"]> = { 1: "webp", 2: "jpeg", 3: "png", 4: "avif" };

export interface HashRequestOptions {
  fileName?: string;
  /** Declared size in bytes (0: unknown); lets a too-large file be refused before it is sent. */
  size?: number;
  thumbnail?: Partial<hasherV1.ThumbnailSpec>;
}

export class HashService {
  /** Whole files, assembled from their chunks. */
  private readonly files = new BufferPool((n) => Buffer.allocUnsafeSlow(n));

  constructor(
    private readonly config: HasherConfig,
    private readonly pool: HashPool,
  ) {}

  /** Refuses a declared size over the limit before any byte is read. */
  checkDeclaredSize(size: number | undefined): void {
    if (size && size > this.config.hasherMaxBytes) throw tooLarge(this.config.hasherMaxBytes);
  }

  async hash(chunks: AsyncIterable<Buffer>, opts: HashRequestOptions = {}): Promise<hasherV1.HashResponse> {
    this.checkDeclaredSize(opts.size);
    const deadline = AbortSignal.timeout(this.config.hasherTimeout);
    return withDeadline(this.run(chunks, opts, deadline), deadline, this.config.hasherTimeout);
  }

  private async run(chunks: AsyncIterable<Buffer>, opts: HashRequestOptions, signal: AbortSignal): Promise<hasherV1.HashResponse> {
    const file = await this.receive(chunks, signal);
    try {
      return await this.hashFile(file.view, opts, signal);
    } finally {
      // Only now: after a deadline the decode may still be reading the bytes.
      file.release();
    }
  }

  private async hashFile(bytes: Buffer, opts: HashRequestOptions, signal: AbortSignal): Promise<hasherV1.HashResponse> {
    if (bytes.length === 0) throw invalid(Reason.CORRUPT, "empty file");
    const decoding = decode(bytes, { maxPixels: this.config.hasherMaxPixels, timeoutMs: this.config.hasherTimeout, thumbSide: this.config.thumbSize });
    // A failed decode surfaces at the await below, not as an unhandled rejection meanwhile.
    decoding.catch(() => undefined);
    // MD5 and SHA-256 on this thread while sharp decodes on its own.
    const { md5, sha256 } = await digests(bytes);
    const img = await decoding;
    const spec = this.thumbSpec(opts.thumbnail);
    const [perceptual, thumb] = await Promise.all([
      this.pool.run({ pixels: img.pixels, channels: img.channels, width: img.width, height: img.height }, signal),
      spec ? thumbnail(img, spec) : Promise.resolve(undefined),
    ]);
    return {
      hashes: { md5, sha256, ...perceptual, hashVersion: HASH_VERSION },
      info: { ...img.info, bytes: bytes.length },
      thumbnail: thumb,
    };
  }

  /** The whole file, under the byte limit: the one chunk as is, or the chunks copied into a pooled buffer. */
  private async receive(chunks: AsyncIterable<Buffer>, signal: AbortSignal): Promise<Lease<Buffer>> {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of chunks) {
      if (signal.aborted) break;
      total += chunk.length;
      if (total > this.config.hasherMaxBytes) throw tooLarge(this.config.hasherMaxBytes);
      parts.push(chunk);
    }
    if (parts.length <= 1) return { view: parts[0] ?? Buffer.alloc(0), release: () => {} };
    const file = this.files.lease(total);
    let offset = 0;
    for (const part of parts) offset += part.copy(file.view, offset);
    return file;
  }

  private thumbSpec(req: Partial<hasherV1.ThumbnailSpec> | undefined): ThumbSpec | undefined {
    if (req?.skip) return undefined;
    return {
      maxSide: req?.maxSide || this.config.thumbSize,
      format: FORMAT_NAMES[req?.format ?? 0] ?? this.config.thumbFormat,
      quality: req?.quality || this.config.thumbQuality,
      effort: this.config.thumbEffort,
    };
  }
}

/**
 * MD5 and SHA-256 of the file, a slice at a time, yielding to the event loop between slices so
 * sharp's callbacks (the decode started just before) are not held up behind them.
 */
async function digests(bytes: Buffer): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash("md5");
  const sha = createHash("sha256");
  for (let i = 0; i < bytes.length; i += DIGEST_SLICE) {
    const slice = bytes.subarray(i, i + DIGEST_SLICE);
    md5.update(slice);
    sha.update(slice);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { md5: md5.digest("hex"), sha256: sha.digest("hex") };
}

/** Bytes hashed between two yields: about half a millisecond of work. */
const DIGEST_SLICE = 256 * 1024;

function tooLarge(max: number): AppError {
  return invalid(Reason.TOO_LARGE, `file is larger than the limit of ${max} bytes`);
}

async function withDeadline<T>(work: Promise<T>, signal: AbortSignal, ms: number): Promise<T> {
  let onAbort!: () => void;
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AppError(status.DEADLINE_EXCEEDED, `hashing took longer than ${ms} ms`));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    // The losing side must not surface as an unhandled rejection.
    work.catch(() => undefined);
    expired.catch(() => undefined);
  }
}
