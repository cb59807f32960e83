/**
 * Hashing service: the same path for gRPC calls and local files. Bytes stream in (byte limit
 * of the file's kind enforced on the way; videos and large files into a temp file, the rest
 * into memory), then one decode of a representative frame with MD5 and SHA-256 computed
 * meanwhile, then the thumbnail (sharp threads) and the perceptual hashes (worker pool) in
 * parallel. Which frame, and what else a file yields, depends on its kind (media.ts).
 */
import { createHash, type Hash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { status } from "@grpc/grpc-js";
import { AppError, invalid, Reason } from "@booru/runtime";
import type { hasherV1 } from "@booru/proto";
import { BufferPool } from "./buffers.js";
import { thumbnail, type ThumbSpec } from "./decode.js";
import { decodeMedia, type MediaContext, type Received } from "./media.js";
import { sniff, SNIFF_BYTES, type Sniffed } from "./media/sniff.js";
import { TempSpace } from "./media/temp.js";
import { Tools } from "./media/tools.js";
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

/** What media decoding needs beyond the pool: the ffmpeg runner and this process's temp folder. */
export interface MediaDeps {
  tools: Tools;
  temp: TempSpace;
}

/** A deadline that starts at the first byte and can be moved later once the file's kind is known. */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout;
  private limitMs: number;

  constructor(ms: number) {
    this.limitMs = ms;
    this.timer = setTimeout(() => this.expire(), ms);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Time left, in ms (at least 1). */
  get remainingMs(): number {
    return Math.max(1, this.started + this.limitMs - Date.now());
  }

  /** Moves the deadline to `ms` after the start, if that is later. */
  extendTo(ms: number): void {
    if (ms <= this.limitMs || this.signal.aborted) return;
    clearTimeout(this.timer);
    this.limitMs = ms;
    this.timer = setTimeout(() => this.expire(), Math.max(0, this.started + ms - Date.now()));
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private expire(): void {
    this.controller.abort(new AppError(status.DEADLINE_EXCEEDED, `hashing took longer than ${this.limitMs} ms`));
  }
}

export class HashService {
  /** Whole files, assembled from their chunks. */
  private readonly files = new BufferPool((n) => Buffer.allocUnsafeSlow(n));
  private media?: Promise<MediaDeps>;

  /**
   * @param media the ffmpeg runner and temp folder; opened on first need when not given (the
   *   module opens them at start, which also removes what a crashed process left).
   */
  constructor(
    private readonly config: HasherConfig,
    private readonly pool: HashPool,
    media?: MediaDeps,
  ) {
    if (media) this.media = Promise.resolve(media);
  }

  /** Refuses a declared size over every kind's limit before any byte is read. */
  checkDeclaredSize(size: number | undefined): void {
    const max = Math.max(this.config.hasherMaxBytes, this.config.hasherMaxVideoBytes, this.config.hasherMaxArchiveBytes);
    if (size && size > max) throw tooLarge(max);
  }

  async hash(chunks: AsyncIterable<Buffer>, opts: HashRequestOptions = {}): Promise<hasherV1.HashResponse> {
    this.checkDeclaredSize(opts.size);
    const deadline = new Deadline(this.config.hasherTimeout);
    const work = this.run(chunks, opts, deadline);
    try {
      return await raceAbort(work, deadline.signal);
    } finally {
      deadline.clear();
    }
  }

  private async run(chunks: AsyncIterable<Buffer>, opts: HashRequestOptions, deadline: Deadline): Promise<hasherV1.HashResponse> {
    const file = await this.receive(chunks, opts, deadline);
    try {
      return await this.hashFile(file, opts, deadline);
    } finally {
      // Only now: after a deadline the decode may still be reading the bytes.
      await file.release();
    }
  }

  private async hashFile(file: Received, opts: HashRequestOptions, deadline: Deadline): Promise<hasherV1.HashResponse> {
    if (file.size === 0) throw invalid(Reason.CORRUPT, "empty file");
    const ctx: MediaContext = { config: this.config, pool: this.pool, deadline, media: () => this.mediaDeps() };
    const decoding = decodeMedia(file, ctx);
    // A failed decode surfaces at the await below, not as an unhandled rejection meanwhile.
    decoding.catch(() => undefined);
    // MD5 and SHA-256 on this thread while sharp decodes on its own (a spooled file has them already).
    const { md5, sha256 } = file.digest ?? (await digests(file.bytes!));
    const { img, info, signature } = await decoding;
    const spec = this.thumbSpec(opts.thumbnail);
    const [perceptual, thumb] = await Promise.all([
      this.pool.run({ pixels: img.pixels, channels: img.channels, width: img.width, height: img.height }, deadline.signal),
      spec ? thumbnail(img, spec) : Promise.resolve(undefined),
    ]);
    return {
      hashes: { md5, sha256, ...perceptual, frameSignature: signature ?? "", hashVersion: HASH_VERSION },
      info: { ...info, bytes: file.size },
      thumbnail: thumb,
    };
  }

  private mediaDeps(): Promise<MediaDeps> {
    this.media ??= TempSpace.open(this.config.hasherTempDir).then(({ space }) => ({ tools: new Tools(this.config.hasherFfmpegJobs), temp: space }));
    return this.media;
  }

  /** The byte limit of a kind. */
  private maxBytes(s: Sniffed): number {
    if (s.route === "video") return this.config.hasherMaxVideoBytes;
    if (s.route === "zip") return this.config.hasherMaxArchiveBytes;
    return this.config.hasherMaxBytes;
  }

  /**
   * The whole file, under its kind's byte limit: in memory (the one chunk as is, or the chunks
   * copied into a pooled buffer), or, for videos and files over hasherMemoryBytes, streamed into
   * a temp file with MD5 and SHA-256 computed on the way.
   */
  private async receive(chunks: AsyncIterable<Buffer>, opts: HashRequestOptions, deadline: Deadline): Promise<Received> {
    const parts: Buffer[] = [];
    let total = 0;
    let sniffed: Sniffed | undefined;
    let limit = Math.max(this.config.hasherMaxBytes, this.config.hasherMaxVideoBytes, this.config.hasherMaxArchiveBytes);
    let spool: Spool | undefined;
    try {
      for await (const chunk of chunks) {
        if (deadline.signal.aborted) break;
        total += chunk.length;
        if (spool) await spool.write(chunk);
        else parts.push(chunk);
        if (!sniffed && total >= SNIFF_BYTES) {
          sniffed = sniff(Buffer.concat(parts));
          limit = this.maxBytes(sniffed);
          // A declared size over this kind's limit: refused after the first bytes, not the last.
          if ((opts.size ?? 0) > limit) throw tooLarge(limit);
          if (sniffed.route === "video" || sniffed.route === "zip") deadline.extendTo(this.config.hasherMediaTimeout);
        }
        if (total > limit) throw tooLarge(limit);
        if (!spool && sniffed && (sniffed.route === "video" || total > this.config.hasherMemoryBytes || (opts.size ?? 0) > this.config.hasherMemoryBytes)) spool = await this.spool(parts);
      }
      sniffed ??= sniff(Buffer.concat(parts));
      if (total > this.maxBytes(sniffed)) throw tooLarge(this.maxBytes(sniffed));
      // ffprobe and ffmpeg read videos from a file, also one shorter than the sniffing needs.
      if (!spool && sniffed.route === "video") spool = await this.spool(parts);
    } catch (err) {
      await spool?.discard();
      throw err;
    }
    if (spool) return spool.finish(sniffed, total);
    if (parts.length <= 1) return { sniffed, size: total, bytes: parts[0] ?? Buffer.alloc(0), head: parts[0] ?? Buffer.alloc(0), release: async () => {} };
    const file = this.files.lease(total);
    let offset = 0;
    for (const part of parts) offset += part.copy(file.view, offset);
    return { sniffed, size: total, bytes: file.view, head: file.view, release: async () => file.release() };
  }

  /** A temp file with the parts received so far (taken out of `parts`). */
  private async spool(parts: Buffer[]): Promise<Spool> {
    const spool = await Spool.open((await this.mediaDeps()).temp);
    for (const p of parts.splice(0)) await spool.write(p);
    return spool;
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

/** Bytes of a spooled file kept for telling formats apart (an APNG's acTL comes early). */
const HEAD_BYTES = 64 * 1024;

/** A file being received into this process's temp folder, hashed on the way. */
class Spool {
  private readonly md5: Hash = createHash("md5");
  private readonly sha: Hash = createHash("sha256");
  private head = Buffer.alloc(0);

  private constructor(
    private readonly temp: TempSpace,
    private readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(temp: TempSpace): Promise<Spool> {
    const path = temp.newPath();
    return new Spool(temp, path, await open(path, "wx", 0o600));
  }

  async write(chunk: Buffer): Promise<void> {
    this.md5.update(chunk);
    this.sha.update(chunk);
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    // Awaited: the sender is held back to the disk's pace, nothing piles up in memory.
    await this.fh.write(chunk);
  }

  async finish(sniffed: Sniffed, size: number): Promise<Received> {
    await this.fh.close();
    return {
      sniffed,
      size,
      path: this.path,
      head: this.head,
      digest: { md5: this.md5.digest("hex"), sha256: this.sha.digest("hex") },
      release: () => this.temp.remove(this.path),
    };
  }

  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await this.temp.remove(this.path);
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

/** The work's result, or the signal's reason once it aborts (the work is left to wind down). */
async function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort!: () => void;
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
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
