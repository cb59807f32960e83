/**
 * Storage ports of the catalog. Each has a SQLite adapter (embedded) and a MongoDB adapter
 * (distributed) that pass the same contract suite (test/contract.ts).
 */
import { hasherV1, type catalogV1 } from "@booru/proto";
import type { HashBatch, HashValues } from "../similarity.js";

/** Position in a newest-first listing: the time and the id of the last item returned. */
export interface Cursor {
  at: number;
  key: string;
}

export interface Page<T> {
  items: T[];
  /** Set when more items follow. */
  next?: Cursor;
}

export interface Thumbnail {
  data: Buffer;
  mime: string;
  width: number;
  height: number;
}

export interface ImageFilter {
  /** image | animation | video | archive (records from before kinds count as images). */
  kind?: string;
  format?: string;
  minBytes?: number;
  maxBytes?: number;
  /** Inclusive. */
  ingestedAfter?: number;
  /** Exclusive. */
  ingestedBefore?: number;
  /** Oldest first (ingested time, then md5 ascending); the cursor continues the same order. */
  oldestFirst?: boolean;
}

export interface ImageStats {
  images: number;
  bytes: number;
  ingestedSince: number;
}

/** One record with its thumbnail: the unit of `booru export` / `booru import`. */
export interface StoredImage {
  image: catalogV1.Image;
  thumbnail?: Thumbnail;
}

export interface ImagesRepo {
  /** Inserts unless the md5 exists; returns the stored record either way. */
  put(image: catalogV1.Image, thumbnail?: Thumbnail): Promise<{ created: boolean; image: catalogV1.Image }>;
  /** put() for a batch: the records whose md5 is new are inserted; returns how many were. */
  putMany(records: StoredImage[]): Promise<number>;
  /** Every record with its thumbnail, in no particular order (export; a scan by design). */
  records(): AsyncIterable<StoredImage>;
  get(md5: string): Promise<catalogV1.Image | undefined>;
  getBySha256(sha256: string): Promise<catalogV1.Image | undefined>;
  /** The records of these md5s that exist, in no particular order. */
  getMany(md5s: string[]): Promise<catalogV1.Image[]>;
  /** Newest first (ingested time, then md5 descending), or oldest first. */
  list(filter: ImageFilter, limit: number, after?: Cursor): Promise<Page<catalogV1.Image>>;
  thumbnail(md5: string): Promise<Thumbnail | undefined>;
  /** Replaces the record's absorbed copies (near-duplicates dropped in its favour); false when there is no record. */
  setAbsorbed(md5: string, absorbed: catalogV1.AbsorbedCopy[]): Promise<boolean>;
  /** Removes the record and its thumbnail; false when there was none. */
  delete(md5: string): Promise<boolean>;
  stats(ingestedSince: number): Promise<ImageStats>;
  /** Images ingested at or after `since`, counted per minute (key: the minute's start). */
  perMinute(since: number): Promise<Map<number, number>>;
  /** Every md5 with its similarity hashes, in batches, for building the in-memory index. */
  hashBatches(): AsyncIterable<HashBatch>;
}

export interface DuplicatesRepo {
  /** False when a duplicate with this id is already stored. */
  put(duplicate: catalogV1.Duplicate): Promise<boolean>;
  list(md5: string | undefined, limit: number, after?: Cursor): Promise<Page<catalogV1.Duplicate>>;
  count(): Promise<number>;
  /** Duplicates recorded at or after `since`, per minute (key: the minute's start). */
  perMinute(since: number): Promise<Map<number, number>>;
}

export interface RejectionsRepo {
  /** False when a rejection with this id is already stored. */
  put(rejection: catalogV1.Rejection): Promise<boolean>;
  list(reason: string | undefined, limit: number, after?: Cursor): Promise<Page<catalogV1.Rejection>>;
  countByReason(): Promise<Record<string, number>>;
  /** Rejections recorded at or after `since`, per minute (key: the minute's start). */
  perMinute(since: number): Promise<Map<number, number>>;
  get(id: string): Promise<catalogV1.Rejection | undefined>;
  /** Forgets a rejection (retried or deleted); false when there was none. */
  delete(id: string): Promise<boolean>;
}

/** A watcher's latest view of one inbox (booru.ingest.v1.InboxReport), stamped when the catalog heard it. */
export interface InboxReport {
  inbox: string;
  watcherId: string;
  ignoredByReason: Record<string, number>;
  /** The catalog's clock when it was received. */
  receivedUnixMs: number;
}

export interface InboxReportsRepo {
  /** Replaces the inbox's report. */
  put(report: InboxReport): Promise<void>;
  /** Reports received at or after `since`, one per inbox. */
  list(since: number): Promise<InboxReport[]>;
}

export interface Repos {
  images: ImagesRepo;
  duplicates: DuplicatesRepo;
  rejections: RejectionsRepo;
  inboxReports: InboxReportsRepo;
}

export const MINUTE_MS = 60_000;

/** Counts times per minute (key: the minute's start). */
export function countPerMinute(times: Iterable<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of times) {
    const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    counts.set(minute, (counts.get(minute) ?? 0) + 1);
  }
  return counts;
}

/** Splits a fetch of limit+1 rows into a page and the cursor after it. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (item: T) => Cursor): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, next: cursorOf(items[items.length - 1]!) };
}

export function similarityHashes(image: catalogV1.Image): HashValues {
  const h = image.hashes;
  return { phash64: h?.phash64, dhash64: h?.dhash64, phash256: h?.phash256, blockhash256: h?.blockhash256, frames: h?.frameSignature || undefined };
}

const KIND_NAMES: Record<hasherV1.MediaKind, string> = {
  [hasherV1.MediaKind.UNSPECIFIED]: "image",
  [hasherV1.MediaKind.IMAGE]: "image",
  [hasherV1.MediaKind.ANIMATION]: "animation",
  [hasherV1.MediaKind.VIDEO]: "video",
  [hasherV1.MediaKind.ARCHIVE]: "archive",
};

/** The kind as stored for filtering: image, animation, video or archive. */
export const kindName = (kind: hasherV1.MediaKind | undefined) => KIND_NAMES[kind ?? hasherV1.MediaKind.UNSPECIFIED] ?? "image";
