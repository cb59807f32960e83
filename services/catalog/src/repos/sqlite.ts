import { catalogV1 } from "@booru/proto";
import { inBatches, type SqliteDb } from "@booru/runtime";
import { parseValue } from "../hashes.js";
import { addToBatch, newBatch, PACKED, PACKED_WORDS, type HashValues } from "../similarity.js";
import { kindName, similarityHashes, toPage, type Cursor, type DuplicatesRepo, type ImageFilter, type ImagesRepo, type InboxReport, type InboxReportsRepo, type RejectionsRepo, type Repos, type StoredImage, type Thumbnail } from "./types.js";

/** Tables are prefixed: the embedded SQLite file is shared with the other modules. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS catalog_images (
  md5 TEXT PRIMARY KEY, sha256 TEXT NOT NULL, format TEXT NOT NULL, bytes INTEGER NOT NULL,
  ingested INTEGER NOT NULL, phash64 TEXT, dhash64 TEXT, phash256 TEXT, blockhash256 TEXT, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_images_newest ON catalog_images (ingested DESC, md5 DESC);
CREATE TABLE IF NOT EXISTS catalog_thumbnails (md5 TEXT PRIMARY KEY, data BLOB NOT NULL, mime TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS catalog_duplicates (id TEXT PRIMARY KEY, md5 TEXT NOT NULL, at INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS catalog_duplicates_newest ON catalog_duplicates (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS catalog_duplicates_md5 ON catalog_duplicates (md5, at DESC, id DESC);
CREATE TABLE IF NOT EXISTS catalog_rejections (id TEXT PRIMARY KEY, reason TEXT NOT NULL, at INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS catalog_rejections_newest ON catalog_rejections (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS catalog_rejections_reason ON catalog_rejections (reason, at DESC, id DESC);
CREATE TABLE IF NOT EXISTS catalog_inbox_reports (inbox TEXT PRIMARY KEY, received INTEGER NOT NULL, record TEXT NOT NULL);
`;

/**
 * Counters kept by triggers in the same transaction as each write, so GetStats reads a few rows
 * instead of counting a table. Names: images, bytes, duplicates, rejected:<reason>.
 */
const COUNTERS = `
CREATE TABLE catalog_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO catalog_counters SELECT 'images', COUNT(*) FROM catalog_images;
INSERT INTO catalog_counters SELECT 'bytes', COALESCE(SUM(bytes), 0) FROM catalog_images;
INSERT INTO catalog_counters SELECT 'duplicates', COUNT(*) FROM catalog_duplicates;
INSERT INTO catalog_counters SELECT 'rejected:' || reason, COUNT(*) FROM catalog_rejections GROUP BY reason;
CREATE TRIGGER catalog_images_counted AFTER INSERT ON catalog_images BEGIN
  UPDATE catalog_counters SET value = value + 1 WHERE name = 'images';
  UPDATE catalog_counters SET value = value + NEW.bytes WHERE name = 'bytes';
END;
CREATE TRIGGER catalog_images_uncounted AFTER DELETE ON catalog_images BEGIN
  UPDATE catalog_counters SET value = value - 1 WHERE name = 'images';
  UPDATE catalog_counters SET value = value - OLD.bytes WHERE name = 'bytes';
END;
CREATE TRIGGER catalog_duplicates_counted AFTER INSERT ON catalog_duplicates BEGIN
  UPDATE catalog_counters SET value = value + 1 WHERE name = 'duplicates';
END;
CREATE TRIGGER catalog_rejections_counted AFTER INSERT ON catalog_rejections BEGIN
  INSERT INTO catalog_counters (name, value) VALUES ('rejected:' || NEW.reason, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1;
END;
`;

/** Columns added after the first release, for files made before them (kind: every old record is an image). */
const ADDED_COLUMNS: [string, string][] = [
  ["kind", "TEXT NOT NULL DEFAULT 'image'"],
  ["frame_signature", "TEXT"],
  ["sim", "BLOB"],
];

/** Records per batch read at start (the index build). */
const HASH_BATCH = 20_000;

function pack(h: HashValues): Buffer | null {
  const words = new Uint32Array(PACKED_WORDS);
  let at = 0;
  for (const [algo, n] of PACKED) {
    const v = h[algo];
    const parsed = typeof v === "string" ? parseValue(algo, v) : v;
    if (!parsed) return null; // a record without every hash keeps the hex columns only
    words.set(parsed, at);
    at += n;
  }
  return Buffer.from(words.buffer);
}

/** Once, when the packed column arrives: fills it for the records already there. */
function packOlderRows(db: SqliteDb): void {
  const update = db.prepare("UPDATE catalog_images SET sim = ? WHERE md5 = ?");
  const rows = db.prepare("SELECT md5, phash64, dhash64, phash256, blockhash256 FROM catalog_images").all() as Record<string, string | null>[];
  db.transaction(() => {
    for (const r of rows) update.run(pack({ phash64: r.phash64 ?? undefined, dhash64: r.dhash64 ?? undefined, phash256: r.phash256 ?? undefined, blockhash256: r.blockhash256 ?? undefined }), r.md5);
  })();
}

function migrate(db: SqliteDb): void {
  const have = new Set((db.prepare("PRAGMA table_info(catalog_images)").all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE catalog_images ADD COLUMN ${name} ${type}`);
  if (!have.has("sim")) packOlderRows(db);
  // Start-up reads this index alone (about 130 bytes a record), not the table with its records.
  db.exec("CREATE INDEX IF NOT EXISTS catalog_images_sim ON catalog_images (md5, sim, frame_signature)");
  db.exec("CREATE INDEX IF NOT EXISTS catalog_images_kind ON catalog_images (kind, ingested DESC, md5 DESC)");
  // The earliest record of a sha256 straight from the index (it replaces a sha256-only index).
  db.exec("DROP INDEX IF EXISTS catalog_images_sha256; CREATE INDEX IF NOT EXISTS catalog_images_sha256_first ON catalog_images (sha256, ingested, md5)");
  db.exec("CREATE INDEX IF NOT EXISTS catalog_images_format ON catalog_images (format, ingested DESC, md5 DESC)");
  // Once per file: the first count of what is there (a file from before counters), then triggers.
  const counted = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'catalog_counters'").get();
  if (!counted) db.transaction(() => db.exec(COUNTERS)).immediate();
  // A rejection retried or deleted is no longer counted (added after the counters; idempotent).
  db.exec("CREATE TRIGGER IF NOT EXISTS catalog_rejections_uncounted AFTER DELETE ON catalog_rejections BEGIN UPDATE catalog_counters SET value = value - 1 WHERE name = 'rejected:' || OLD.reason; END");
}

/** `(at, id) < (?, ?)` (`>` going oldest first), the keyset condition after a cursor: a row value, so the index seeks to it. */
function after(atCol: string, keyCol: string, cursor: Cursor | undefined, where: string[], params: unknown[], ascending = false): void {
  if (!cursor) return;
  where.push(`(${atCol}, ${keyCol}) ${ascending ? ">" : "<"} (?, ?)`);
  params.push(cursor.at, cursor.key);
}

const clause = (where: string[]) => (where.length ? `WHERE ${where.join(" AND ")}` : "");

/** Newest first from an event table (duplicates, rejections), optionally where `column = value`. */
function listEvents<T extends { atUnixMs: number; id: string }>(db: SqliteDb, table: string, filter: [string, string] | undefined, limit: number, cursor: Cursor | undefined, parse: (json: unknown) => T) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter) {
    where.push(`${filter[0]} = ?`);
    params.push(filter[1]);
  }
  after("at", "id", cursor, where, params);
  const rows = db.prepare(`SELECT record FROM ${table} ${clause(where)} ORDER BY at DESC, id DESC LIMIT ?`).all(...params, limit + 1) as { record: string }[];
  return toPage(rows.map((r) => parse(JSON.parse(r.record))), limit, (x) => ({ at: x.atUnixMs, key: x.id }));
}
function readCounters(db: SqliteDb, ...names: string[]): Record<string, number> {
  const rows = db.prepare(`SELECT name, value FROM catalog_counters WHERE name IN (${names.map(() => "?").join(",")})`).all(...names) as { name: string; value: number }[];
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

/** Per-minute counts of rows of `table` whose `column` is at or after `since` (an indexed range). */
function perMinute(db: SqliteDb, table: string, column: string, since: number): Map<number, number> {
  const rows = db.prepare(`SELECT (${column} / 60000) * 60000 AS minute, COUNT(*) AS n FROM ${table} WHERE ${column} >= ? GROUP BY minute`).all(since) as { minute: number; n: number }[];
  return new Map(rows.map((r) => [r.minute, r.n]));
}
const parseImage = (row: { record: string } | undefined) => (row ? catalogV1.Image.fromJSON(JSON.parse(row.record)) : undefined);

class SqliteImages implements ImagesRepo {
  constructor(private readonly db: SqliteDb) {}

  async put(image: catalogV1.Image, thumbnail?: Thumbnail) {
    if (this.insert({ image, thumbnail })) return { created: true, image };
    return { created: false, image: (await this.get(image.md5))! };
  }

  async putMany(records: StoredImage[]) {
    // One transaction per batch: a bulk import writes at the speed of the disk, not of fsyncs.
    return this.db.transaction(() => records.filter((r) => this.insert(r)).length)();
  }

  async *records() {
    type Row = { md5: string; record: string; data: Buffer | null; mime: string; width: number; height: number };
    const page = this.db.prepare("SELECT i.md5, i.record, t.data, t.mime, t.width, t.height FROM catalog_images i LEFT JOIN catalog_thumbnails t ON t.md5 = i.md5 WHERE i.md5 > ? ORDER BY i.md5 LIMIT ?");
    for (const r of inBatches((after, size) => page.all(after, size) as Row[], (r) => r.md5, 1_000)) yield { image: parseImage(r)!, ...(r.data && { thumbnail: { data: r.data, mime: r.mime, width: r.width, height: r.height } }) };
  }

  /** True when the record was new. */
  private insert({ image, thumbnail }: StoredImage): boolean {
    // Thumbnail first: a crash between the two leaves a retry that still stores the record.
    if (thumbnail) {
      this.db.prepare("INSERT OR REPLACE INTO catalog_thumbnails (md5, data, mime, width, height) VALUES (?, ?, ?, ?, ?)").run(image.md5, thumbnail.data, thumbnail.mime, thumbnail.width, thumbnail.height);
    }
    const h = similarityHashes(image);
    const res = this.db
      .prepare("INSERT OR IGNORE INTO catalog_images (md5, sha256, kind, format, bytes, ingested, phash64, dhash64, phash256, blockhash256, frame_signature, sim, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(image.md5, image.hashes?.sha256 ?? "", kindName(image.info?.kind), image.info?.format ?? "", image.info?.bytes ?? 0, image.ingestedUnixMs, h.phash64 ?? null, h.dhash64 ?? null, h.phash256 ?? null, h.blockhash256 ?? null, h.frames ?? null, pack(h), JSON.stringify(catalogV1.Image.toJSON(image)));
    return res.changes === 1;
  }

  async get(md5: string) {
    return parseImage(this.db.prepare("SELECT record FROM catalog_images WHERE md5 = ?").get(md5) as { record: string } | undefined);
  }

  async getBySha256(sha256: string) {
    return parseImage(this.db.prepare("SELECT record FROM catalog_images WHERE sha256 = ? ORDER BY ingested, md5 LIMIT 1").get(sha256) as { record: string } | undefined);
  }

  async getMany(md5s: string[]) {
    const out: catalogV1.Image[] = [];
    // In chunks: SQLite bounds the number of parameters of one statement.
    for (let i = 0; i < md5s.length; i += 500) {
      const chunk = md5s.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT record FROM catalog_images WHERE md5 IN (${chunk.map(() => "?").join(",")})`).all(...chunk) as { record: string }[];
      out.push(...rows.map((r) => parseImage(r)!));
    }
    return out;
  }

  async list(filter: ImageFilter, limit: number, cursor?: Cursor) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, value: unknown) => {
      where.push(cond);
      params.push(value);
    };
    if (filter.kind) add("kind = ?", filter.kind);
    if (filter.format) add("format = ?", filter.format);
    if (filter.minBytes !== undefined) add("bytes >= ?", filter.minBytes);
    if (filter.maxBytes !== undefined) add("bytes <= ?", filter.maxBytes);
    if (filter.ingestedAfter !== undefined) add("ingested >= ?", filter.ingestedAfter);
    if (filter.ingestedBefore !== undefined) add("ingested < ?", filter.ingestedBefore);
    after("ingested", "md5", cursor, where, params, filter.oldestFirst);
    const order = filter.oldestFirst ? "ingested ASC, md5 ASC" : "ingested DESC, md5 DESC";
    const rows = this.db.prepare(`SELECT record FROM catalog_images ${clause(where)} ORDER BY ${order} LIMIT ?`).all(...params, limit + 1) as { record: string }[];
    return toPage(rows.map((r) => parseImage(r)!), limit, (i) => ({ at: i.ingestedUnixMs, key: i.md5 }));
  }

  async thumbnail(md5: string) {
    return this.db.prepare("SELECT data, mime, width, height FROM catalog_thumbnails WHERE md5 = ?").get(md5) as Thumbnail | undefined;
  }

  async setAbsorbed(md5: string, absorbed: catalogV1.AbsorbedCopy[]) {
    const image = await this.get(md5);
    if (!image) return false;
    const record = JSON.stringify(catalogV1.Image.toJSON({ ...image, absorbed }));
    return this.db.prepare("UPDATE catalog_images SET record = ? WHERE md5 = ?").run(record, md5).changes === 1;
  }

  async delete(md5: string) {
    this.db.prepare("DELETE FROM catalog_thumbnails WHERE md5 = ?").run(md5);
    return this.db.prepare("DELETE FROM catalog_images WHERE md5 = ?").run(md5).changes === 1;
  }

  async stats(since: number) {
    const counters = readCounters(this.db, "images", "bytes");
    // A range on the newest-first index: only the recent rows are read.
    const recent = this.db.prepare("SELECT COUNT(*) AS n FROM catalog_images WHERE ingested >= ?").get(since) as { n: number };
    return { images: counters.images ?? 0, bytes: counters.bytes ?? 0, ingestedSince: recent.n };
  }

  async perMinute(since: number) {
    return perMinute(this.db, "catalog_images", "ingested", since);
  }

  async *hashBatches() {
    // Raw rows from the covering index (catalog_images_sim): a million records are read in seconds.
    type Row = [string, Buffer | null, string | null];
    const page = this.db.prepare("SELECT md5, sim, frame_signature FROM catalog_images INDEXED BY catalog_images_sim WHERE md5 > ? ORDER BY md5 LIMIT ?").raw();
    const hex = this.db.prepare("SELECT phash64, dhash64, phash256, blockhash256 FROM catalog_images WHERE md5 = ?");
    for (let after = ""; ; ) {
      const rows = page.all(after, HASH_BATCH) as Row[];
      const batch = newBatch(rows.length);
      const bytes = new Uint8Array(batch.words.buffer);
      for (const [md5, sim, frames] of rows) {
        const i = batch.md5s.length;
        if (sim) {
          batch.md5s.push(md5);
          batch.frames.push(frames ?? undefined);
          bytes.set(sim.subarray(0, PACKED_WORDS * 4), i * PACKED_WORDS * 4);
          batch.present[i] = (1 << PACKED.length) - 1;
        } else {
          // No packed value: a record without every hash (rare), read from its hex columns.
          const h = hex.get(md5) as Record<string, string | null>;
          addToBatch(batch, md5, { ...Object.fromEntries(Object.entries(h).filter(([, v]) => v)), frames: frames ?? undefined });
        }
      }
      yield batch;
      if (rows.length < HASH_BATCH) return;
      after = rows[rows.length - 1]![0];
    }
  }
}

class SqliteDuplicates implements DuplicatesRepo {
  constructor(private readonly db: SqliteDb) {}

  async put(d: catalogV1.Duplicate) {
    return this.db.prepare("INSERT OR IGNORE INTO catalog_duplicates (id, md5, at, record) VALUES (?, ?, ?, ?)").run(d.id, d.md5, d.atUnixMs, JSON.stringify(catalogV1.Duplicate.toJSON(d))).changes === 1;
  }

  async list(md5: string | undefined, limit: number, cursor?: Cursor) {
    return listEvents(this.db, "catalog_duplicates", md5 ? ["md5", md5] : undefined, limit, cursor, catalogV1.Duplicate.fromJSON);
  }

  async count() {
    return readCounters(this.db, "duplicates").duplicates ?? 0;
  }

  async perMinute(since: number) {
    return perMinute(this.db, "catalog_duplicates", "at", since);
  }
}

class SqliteRejections implements RejectionsRepo {
  constructor(private readonly db: SqliteDb) {}

  async put(r: catalogV1.Rejection) {
    return this.db.prepare("INSERT OR IGNORE INTO catalog_rejections (id, reason, at, record) VALUES (?, ?, ?, ?)").run(r.id, r.reason, r.atUnixMs, JSON.stringify(catalogV1.Rejection.toJSON(r))).changes === 1;
  }

  async list(reason: string | undefined, limit: number, cursor?: Cursor) {
    return listEvents(this.db, "catalog_rejections", reason ? ["reason", reason] : undefined, limit, cursor, catalogV1.Rejection.fromJSON);
  }

  async countByReason() {
    const rows = this.db.prepare("SELECT name, value FROM catalog_counters WHERE name >= 'rejected:' AND name < 'rejected;' AND value > 0").all() as { name: string; value: number }[];
    return Object.fromEntries(rows.map((r) => [r.name.slice("rejected:".length), r.value]));
  }

  async perMinute(since: number) {
    return perMinute(this.db, "catalog_rejections", "at", since);
  }

  async get(id: string) {
    const row = this.db.prepare("SELECT record FROM catalog_rejections WHERE id = ?").get(id) as { record: string } | undefined;
    return row ? catalogV1.Rejection.fromJSON(JSON.parse(row.record)) : undefined;
  }

  async delete(id: string) {
    return this.db.prepare("DELETE FROM catalog_rejections WHERE id = ?").run(id).changes === 1;
  }
}

class SqliteInboxReports implements InboxReportsRepo {
  constructor(private readonly db: SqliteDb) {}

  async put(r: InboxReport) {
    this.db.prepare("INSERT OR REPLACE INTO catalog_inbox_reports (inbox, received, record) VALUES (?, ?, ?)").run(r.inbox, r.receivedUnixMs, JSON.stringify(r));
  }

  async list(since: number) {
    const rows = this.db.prepare("SELECT record FROM catalog_inbox_reports WHERE received >= ?").all(since) as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as InboxReport);
  }
}

export function sqliteRepos(db: SqliteDb): Repos {
  db.exec(SCHEMA);
  migrate(db);
  return { images: new SqliteImages(db), duplicates: new SqliteDuplicates(db), rejections: new SqliteRejections(db), inboxReports: new SqliteInboxReports(db) };
}
