import { catalogV1 } from "@booru/proto";
import { insertManyOnce, isDuplicateKey } from "@booru/runtime";
import type { AnyBulkWriteOperation, Binary, Collection, Db, Document, Filter } from "mongodb";
import { addToBatch, newBatch } from "../similarity.js";
import { countPerMinute, kindName, toPage, type Cursor, type DuplicatesRepo, type ImageFilter, type ImagesRepo, type InboxReport, type InboxReportsRepo, type RejectionsRepo, type Repos, type StoredImage, type Thumbnail } from "./types.js";

/** Images: top-level fields for queries, the record itself in its JSON form under `image`. */
interface ImageDoc {
  _id: string;
  sha256: string;
  /** image | animation | video | archive; set on older records at start. */
  kind: string;
  format: string;
  bytes: number;
  ingestedUnixMs: number;
  image: Document;
}

interface ThumbDoc {
  _id: string;
  data: Binary;
  mime: string;
  width: number;
  height: number;
}

interface EventDoc {
  _id: string;
  at: number;
  md5?: string;
  reason?: string;
  record: Document;
}

/**
 * GetStats counters: one document, changed with $inc beside each write. There are no
 * transactions (FerretDB has none), so each counted write first inserts a pending marker and
 * removes it after its $inc; a marker left by a crash makes the next start recount once.
 */
interface CountersDoc {
  _id: "catalog";
  images: number;
  bytes: number;
  duplicates: number;
  rejected: Record<string, number>;
}

class Counters {
  constructor(
    private readonly coll: Collection<CountersDoc>,
    private readonly pending: Collection<{ _id: string }>,
  ) {}

  /** Runs the write between a marker's insert and removal; applies the $inc it returns. */
  async around(key: string, write: () => Promise<Document | undefined>): Promise<void> {
    await insertOnce(this.pending, { _id: key });
    const inc = await write();
    if (inc) await this.coll.updateOne({ _id: "catalog" }, { $inc: inc });
    await this.pending.deleteOne({ _id: key });
  }

  /** Inserts unless the `_id` exists, counting it; false on the idempotent retry. */
  async insert<T extends { _id: string }>(coll: Collection<T>, doc: T, inc: Document): Promise<boolean> {
    let created = false;
    await this.around(`${coll.collectionName}:${doc._id}`, async () => {
      created = await insertOnce(coll, doc as T & Document);
      return created ? inc : undefined;
    });
    return created;
  }

  read(): Promise<CountersDoc | null> {
    return this.coll.findOne({ _id: "catalog" });
  }

  /** At start: counts the store when there are no counters yet or a write was cut short. */
  async repair(count: () => Promise<Omit<CountersDoc, "_id">>): Promise<void> {
    const markers = await this.pending.find({}).toArray();
    if (markers.length === 0 && (await this.read())) return;
    await this.coll.replaceOne({ _id: "catalog" }, await count(), { upsert: true });
    if (markers.length) await this.pending.deleteMany({ _id: { $in: markers.map((m) => m._id) } });
  }
}

/** How far back GetStats' "ingested since" is answered from per-second counts. */
const RECENT_MS = 3_600_000;
/** Records per batch read at start (the index build). */
const HASH_BATCH = 10_000;

/**
 * Ingests per second of the last hour (`_id` = the second), so "ingested in the last minute" is
 * a lookup of 61 ids: FerretDB cannot push a range down, so counting by `ingestedUnixMs` read
 * the whole collection. Counts are to the second: the second `since` falls in counts whole.
 */
/** Indexes of the operations of a bulk write that failed on a duplicate key (none for another error). */
function duplicateKeyIndexes(err: unknown): Set<number> {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as { code?: number; index?: number }[];
  return list.some((e) => e.code !== 11000) ? new Set() : new Set(list.map((e) => e.index ?? -1));
}

class RecentCounts {
  private swept = 0;

  constructor(private readonly coll: Collection<{ _id: string; n: number }>) {}

  async add(ingested: number[], now = Date.now()): Promise<void> {
    const perSecond = new Map<string, number>();
    for (const at of ingested) if (at >= now - RECENT_MS) perSecond.set(String(Math.floor(at / 1000)), (perSecond.get(String(Math.floor(at / 1000))) ?? 0) + 1);
    let ops = [...perSecond].map(([_id, n]) => ({ updateOne: { filter: { _id }, update: { $inc: { n } }, upsert: true } }));
    for (let attempt = 1; ops.length > 0; attempt++) {
      try {
        await this.coll.bulkWrite(ops, { ordered: false });
        return;
      } catch (err) {
        // Two writers upserting the same new second at once: one insert loses (E11000 on FerretDB,
        // whose upsert is read-then-write). Only the lost ones are sent again, now as updates.
        const lost = duplicateKeyIndexes(err);
        if (attempt >= 3 || lost.size === 0) throw err;
        ops = ops.filter((_, i) => lost.has(i));
      }
    }
  }

  /** Undefined when `since` is older than the counts reach. */
  async since(since: number, now = Date.now()): Promise<number | undefined> {
    if (since < now - RECENT_MS) return undefined;
    const seconds = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => String(from + i));
    const docs = await this.coll.find({ _id: { $in: seconds(Math.floor(since / 1000), Math.floor(now / 1000) + 1) } }).toArray();
    await this.sweep(now, seconds);
    return docs.reduce((sum, d) => sum + d.n, 0);
  }

  /** Once a minute, drops the counts of a minute that is more than an hour old. */
  private async sweep(now: number, seconds: (from: number, to: number) => string[]): Promise<void> {
    if (now - this.swept < 60_000) return;
    this.swept = now;
    const end = Math.floor((now - RECENT_MS) / 1000);
    await this.coll.deleteMany({ _id: { $in: seconds(end - 120, end - 1) } });
  }
}

/**
 * The keyset condition after a cursor (newest first, or oldest first). Only $or and comparisons:
 * works on FerretDB too. The bound beside the $or is where an index scan starts (PostgreSQL under
 * FerretDB reads a whole $or as a filter: without it, a deep page read every row before it).
 */
export function after(atField: string, cursor: Cursor | undefined, ascending = false): Document {
  if (!cursor) return {};
  const op = ascending ? "$gt" : "$lt";
  return { [atField]: { [ascending ? "$gte" : "$lte"]: cursor.at }, $or: [{ [atField]: { [op]: cursor.at } }, { [atField]: cursor.at, _id: { [op]: cursor.key } }] };
}

/** Inserts; false on a duplicate _id (the idempotent retry). */
async function insertOnce<T extends Document>(coll: Collection<T>, doc: T): Promise<boolean> {
  try {
    await coll.insertOne(doc as never);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Newest first from an event collection (duplicates, rejections). */
async function listEvents<T extends { atUnixMs: number; id: string }>(coll: Collection<EventDoc>, filter: Filter<EventDoc>, limit: number, cursor: Cursor | undefined, parse: (doc: Document) => T) {
  const docs = await coll.find({ ...after("at", cursor), ...filter }).sort({ at: -1, _id: -1 }).limit(limit + 1).toArray();
  return toPage(docs.map((d) => parse(d.record)), limit, (x) => ({ at: x.atUnixMs, key: x.id }));
}

function imageDoc(image: catalogV1.Image): ImageDoc {
  return {
    _id: image.md5,
    sha256: image.hashes?.sha256 ?? "",
    kind: kindName(image.info?.kind),
    format: image.info?.format ?? "",
    bytes: image.info?.bytes ?? 0,
    ingestedUnixMs: image.ingestedUnixMs,
    image: catalogV1.Image.toJSON(image) as Document,
  };
}

/**
 * Per-minute counts of the documents whose `field` is at or after `since`: the times are read
 * (an indexed range, one number each) and counted here, as FerretDB 1.24 cannot $group by an
 * expression.
 */
async function perMinute<T extends Document>(coll: Collection<T>, field: string, since: number): Promise<Map<number, number>> {
  const docs = await coll.find({ [field]: { $gte: since } } as Filter<T>, { projection: { _id: 0, [field]: 1 } }).toArray();
  return countPerMinute(docs.map((d) => (d as Record<string, number>)[field]!));
}

const toImage = (doc: ImageDoc | null) => (doc ? catalogV1.Image.fromJSON(doc.image) : undefined);

/** sha256 -> md5, so GetImage by sha256 is a lookup by `_id` (the one index FerretDB uses for lookups). */
interface Sha256Doc {
  _id: string;
  md5: string;
}

class MongoImages implements ImagesRepo {
  constructor(
    private readonly images: Collection<ImageDoc>,
    private readonly thumbs: Collection<ThumbDoc>,
    private readonly bySha256: Collection<Sha256Doc>,
    private readonly counters: Counters,
    private readonly recent: RecentCounts,
  ) {}

  async put(image: catalogV1.Image, thumbnail?: Thumbnail) {
    // Thumbnail first: a crash between the two leaves a retry that still stores the record.
    if (thumbnail) {
      await this.thumbs.replaceOne({ _id: image.md5 }, { data: thumbnail.data as unknown as Binary, mime: thumbnail.mime, width: thumbnail.width, height: thumbnail.height }, { upsert: true });
    }
    const doc = imageDoc(image);
    // The same sha256 always has the same md5, so an existing link is already right.
    if (doc.sha256) await insertOnce(this.bySha256, { _id: doc.sha256, md5: doc._id });
    if (await this.counters.insert(this.images, doc, { images: 1, bytes: doc.bytes })) {
      await this.recent.add([doc.ingestedUnixMs]);
      return { created: true, image };
    }
    return { created: false, image: (await this.get(image.md5))! };
  }

  async putMany(records: StoredImage[]) {
    // Only what is new: FerretDB answers a duplicate key slowly, and upserts slower still.
    const have = new Set((await this.images.find({ _id: { $in: records.map((r) => r.image.md5) } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
    const fresh = records.filter((r) => !have.has(r.image.md5));
    if (fresh.length === 0) return 0;
    const thumbs = fresh.flatMap(({ image, thumbnail: t }) => (t ? [{ _id: image.md5, data: t.data as unknown as Binary, mime: t.mime, width: t.width, height: t.height }] : []));
    if (thumbs.length) await insertManyOnce(this.thumbs, thumbs);
    const docs = fresh.map((r) => imageDoc(r.image));
    const links = docs.filter((d) => d.sha256).map((d) => ({ _id: d.sha256, md5: d._id }));
    if (links.length) await insertManyOnce(this.bySha256, links);
    let created = 0;
    await this.counters.around(`${this.images.collectionName}:batch:${docs[0]!._id}`, async () => {
      const inserted = await insertManyOnce(this.images, docs);
      created = inserted.length;
      await this.recent.add(inserted.map((d) => d.ingestedUnixMs));
      return { images: created, bytes: inserted.reduce((sum, d) => sum + d.bytes, 0) };
    });
    return created;
  }

  async *records() {
    let batch: ImageDoc[] = [];
    const flush = async () => {
      const thumbs = new Map((await this.thumbs.find({ _id: { $in: batch.map((d) => d._id) } }).toArray()).map((t) => [t._id, t]));
      const out = batch.map((d) => {
        const t = thumbs.get(d._id);
        return { image: toImage(d)!, ...(t && { thumbnail: { data: Buffer.from(t.data.buffer), mime: t.mime, width: t.width, height: t.height } }) };
      });
      batch = [];
      return out;
    };
    for await (const doc of this.images.find({}).batchSize(1000)) {
      batch.push(doc);
      if (batch.length === 1000) yield* await flush();
    }
    if (batch.length) yield* await flush();
  }

  async get(md5: string) {
    return toImage(await this.images.findOne({ _id: md5 }));
  }

  async getBySha256(sha256: string) {
    const link = await this.bySha256.findOne({ _id: sha256 });
    const image = link ? await this.get(link.md5) : undefined;
    return image?.hashes?.sha256 === sha256 ? image : undefined;
  }

  async getMany(md5s: string[]) {
    if (md5s.length === 0) return [];
    return (await this.images.find({ _id: { $in: md5s } }).toArray()).map((d) => toImage(d)!);
  }

  async list(filter: ImageFilter, limit: number, cursor?: Cursor) {
    const q: Filter<ImageDoc> = { ...after("ingestedUnixMs", cursor, filter.oldestFirst) };
    if (filter.kind) q.kind = filter.kind;
    if (filter.format) q.format = filter.format;
    if (filter.minBytes !== undefined || filter.maxBytes !== undefined) {
      q.bytes = { ...(filter.minBytes !== undefined && { $gte: filter.minBytes }), ...(filter.maxBytes !== undefined && { $lte: filter.maxBytes }) };
    }
    if (filter.ingestedAfter !== undefined || filter.ingestedBefore !== undefined) {
      // Beside the cursor's $or, so both conditions hold.
      q.$and = [{ ingestedUnixMs: { ...(filter.ingestedAfter !== undefined && { $gte: filter.ingestedAfter }), ...(filter.ingestedBefore !== undefined && { $lt: filter.ingestedBefore }) } }];
    }
    const dir = filter.oldestFirst ? 1 : -1;
    const docs = await this.images.find(q).sort({ ingestedUnixMs: dir, _id: dir }).limit(limit + 1).toArray();
    return toPage(docs.map((d) => toImage(d)!), limit, (i) => ({ at: i.ingestedUnixMs, key: i.md5 }));
  }

  async thumbnail(md5: string) {
    const doc = await this.thumbs.findOne({ _id: md5 });
    return doc ? { data: Buffer.from(doc.data.buffer), mime: doc.mime, width: doc.width, height: doc.height } : undefined;
  }

  async setAbsorbed(md5: string, absorbed: catalogV1.AbsorbedCopy[]) {
    const res = await this.images.updateOne({ _id: md5 }, { $set: { "image.absorbed": absorbed.map((a) => catalogV1.AbsorbedCopy.toJSON(a)) } });
    return res.matchedCount === 1;
  }

  async delete(md5: string) {
    await this.thumbs.deleteOne({ _id: md5 });
    let deleted = false;
    await this.counters.around(`${this.images.collectionName}:${md5}`, async () => {
      const doc = await this.images.findOneAndDelete({ _id: md5 });
      if (doc?.sha256) await this.bySha256.deleteOne({ _id: doc.sha256, md5 });
      deleted = doc !== null;
      return doc ? { images: -1, bytes: -doc.bytes } : undefined;
    });
    return deleted;
  }

  async stats(since: number) {
    // Older than the per-second counts reach: a range on the newest-first index (MongoDB; FerretDB scans).
    const [counters, recent] = await Promise.all([this.counters.read(), this.recent.since(since)]);
    const ingestedSince = recent ?? (await this.images.countDocuments({ ingestedUnixMs: { $gte: since } }));
    return { images: counters?.images ?? 0, bytes: counters?.bytes ?? 0, ingestedSince };
  }

  perMinute(since: number) {
    return perMinute(this.images, "ingestedUnixMs", since);
  }

  async *hashBatches() {
    const cursor = this.images.find({}, { projection: { "image.hashes": 1 } }).batchSize(HASH_BATCH);
    let batch = newBatch(HASH_BATCH);
    for await (const doc of cursor) {
      const h = (doc.image?.hashes ?? {}) as Record<string, string | undefined>;
      addToBatch(batch, doc._id, { phash64: h.phash64, dhash64: h.dhash64, phash256: h.phash256, blockhash256: h.blockhash256, frames: h.frameSignature || undefined });
      if (batch.md5s.length < HASH_BATCH) continue;
      yield batch;
      batch = newBatch(HASH_BATCH);
    }
    if (batch.md5s.length > 0) yield batch;
  }

}

class MongoDuplicates implements DuplicatesRepo {
  constructor(
    private readonly coll: Collection<EventDoc>,
    private readonly counters: Counters,
  ) {}

  put(d: catalogV1.Duplicate) {
    return this.counters.insert(this.coll, { _id: d.id, at: d.atUnixMs, md5: d.md5, record: catalogV1.Duplicate.toJSON(d) as Document }, { duplicates: 1 });
  }

  list(md5: string | undefined, limit: number, cursor?: Cursor) {
    return listEvents(this.coll, md5 ? { md5 } : {}, limit, cursor, catalogV1.Duplicate.fromJSON);
  }

  async count() {
    return (await this.counters.read())?.duplicates ?? 0;
  }

  perMinute(since: number) {
    return perMinute(this.coll, "at", since);
  }
}

class MongoRejections implements RejectionsRepo {
  constructor(
    private readonly coll: Collection<EventDoc>,
    private readonly counters: Counters,
  ) {}

  put(r: catalogV1.Rejection) {
    // Reasons are checked against the known list before they get here, so they are safe field names.
    return this.counters.insert(this.coll, { _id: r.id, at: r.atUnixMs, reason: r.reason, record: catalogV1.Rejection.toJSON(r) as Document }, { [`rejected.${r.reason}`]: 1 });
  }

  list(reason: string | undefined, limit: number, cursor?: Cursor) {
    return listEvents(this.coll, reason ? { reason } : {}, limit, cursor, catalogV1.Rejection.fromJSON);
  }

  async countByReason() {
    const rejected = (await this.counters.read())?.rejected ?? {};
    return Object.fromEntries(Object.entries(rejected).filter(([, n]) => n > 0));
  }

  perMinute(since: number) {
    return perMinute(this.coll, "at", since);
  }

  async get(id: string) {
    const doc = await this.coll.findOne({ _id: id });
    return doc ? catalogV1.Rejection.fromJSON(doc.record) : undefined;
  }

  /** Uncounted with the counters' marker, like a put. */
  async delete(id: string) {
    let deleted = false;
    await this.counters.around(`${this.coll.collectionName}:${id}`, async () => {
      const doc = await this.coll.findOne({ _id: id });
      deleted = doc !== null && (await this.coll.deleteOne({ _id: id })).deletedCount === 1;
      return deleted ? { [`rejected.${doc!.reason}`]: -1 } : undefined;
    });
    return deleted;
  }
}

/** One document per inbox, `_id` = the inbox path. */
type ReportDoc = Omit<InboxReport, "inbox"> & { _id: string };

class MongoInboxReports implements InboxReportsRepo {
  constructor(private readonly coll: Collection<ReportDoc>) {}

  async put({ inbox, ...rest }: InboxReport) {
    await this.coll.replaceOne({ _id: inbox }, rest, { upsert: true });
  }

  async list(since: number) {
    const docs = await this.coll.find({ receivedUnixMs: { $gte: since } }).toArray();
    return docs.map(({ _id, ...rest }) => ({ inbox: _id, ...rest }));
  }
}

/**
 * Counts what the store holds: once, at a start that finds no counters (a database from before
 * them, which also lacks the sha256 links and maybe the kinds: they are added here; each needs
 * a whole-collection pass, which FerretDB makes slow) or after a cut-short write.
 */
async function countAll(images: Collection<ImageDoc>, bySha256: Collection<Sha256Doc>, duplicates: Collection<EventDoc>, rejections: Collection<EventDoc>): Promise<Omit<CountersDoc, "_id">> {
  // Records from before kinds were images.
  await images.updateMany({ kind: { $exists: false } }, { $set: { kind: "image" } });
  let links: AnyBulkWriteOperation<Sha256Doc>[] = [];
  for await (const doc of images.find({}, { projection: { sha256: 1 } })) {
    if (doc.sha256) links.push({ updateOne: { filter: { _id: doc.sha256 }, update: { $setOnInsert: { md5: doc._id } }, upsert: true } });
    if (links.length < 1000) continue;
    await bySha256.bulkWrite(links, { ordered: false });
    links = [];
  }
  if (links.length) await bySha256.bulkWrite(links, { ordered: false });
  // One $sum per $group: FerretDB 1.24 has no other accumulators, and returns 0 for a field
  // $sum that shares its $group with a constant $sum.
  const [totals] = await images.aggregate<{ bytes: number }>([{ $group: { _id: null, bytes: { $sum: "$bytes" } } }]).toArray();
  const reasons = await rejections.aggregate<{ _id: string; n: number }>([{ $group: { _id: "$reason", n: { $sum: 1 } } }]).toArray();
  return {
    images: await images.countDocuments({}),
    bytes: totals?.bytes ?? 0,
    duplicates: await duplicates.countDocuments({}),
    rejected: Object.fromEntries(reasons.map((r) => [r._id, r.n])),
  };
}

export async function mongoRepos(db: Db): Promise<Repos> {
  const images = db.collection<ImageDoc>("images");
  const duplicates = db.collection<EventDoc>("duplicates");
  const rejections = db.collection<EventDoc>("rejections");
  await Promise.all([
    images.createIndex({ ingestedUnixMs: -1, _id: -1 }),
    images.createIndex({ format: 1, ingestedUnixMs: -1 }),
    images.createIndex({ kind: 1, ingestedUnixMs: -1 }),
    duplicates.createIndex({ at: -1, _id: -1 }),
    duplicates.createIndex({ md5: 1, at: -1 }),
    rejections.createIndex({ at: -1, _id: -1 }),
    rejections.createIndex({ reason: 1, at: -1 }),
  ]);
  const counters = new Counters(db.collection<CountersDoc>("counters"), db.collection("counters_pending"));
  const bySha256 = db.collection<Sha256Doc>("images_by_sha256");
  await counters.repair(() => countAll(images, bySha256, duplicates, rejections));
  return {
    images: new MongoImages(images, db.collection<ThumbDoc>("thumbnails"), bySha256, counters, new RecentCounts(db.collection("counters_seconds"))),
    duplicates: new MongoDuplicates(duplicates, counters),
    rejections: new MongoRejections(rejections, counters),
    inboxReports: new MongoInboxReports(db.collection<ReportDoc>("inbox_reports")),
  };
}
