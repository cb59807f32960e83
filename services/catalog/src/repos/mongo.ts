import { catalogV1 } from "@booru/proto";
import { isDuplicateKey } from "@booru/runtime";
import type { Binary, Collection, Db, Document, Filter } from "mongodb";
import { kindName, toPage, type Cursor, type DuplicatesRepo, type ImageFilter, type ImagesRepo, type InboxReport, type InboxReportsRepo, type RejectionsRepo, type Repos, type Thumbnail } from "./types.js";

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

/** The keyset condition after a cursor (newest first). Only $or/$lt: works on FerretDB too. */
function after(atField: string, cursor: Cursor | undefined): Document {
  if (!cursor) return {};
  return { $or: [{ [atField]: { $lt: cursor.at } }, { [atField]: cursor.at, _id: { $lt: cursor.key } }] };
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

const toImage = (doc: ImageDoc | null) => (doc ? catalogV1.Image.fromJSON(doc.image) : undefined);

class MongoImages implements ImagesRepo {
  constructor(
    private readonly images: Collection<ImageDoc>,
    private readonly thumbs: Collection<ThumbDoc>,
  ) {}

  async put(image: catalogV1.Image, thumbnail?: Thumbnail) {
    // Thumbnail first: a crash between the two leaves a retry that still stores the record.
    if (thumbnail) {
      await this.thumbs.replaceOne({ _id: image.md5 }, { data: thumbnail.data as unknown as Binary, mime: thumbnail.mime, width: thumbnail.width, height: thumbnail.height }, { upsert: true });
    }
    const doc: ImageDoc = {
      _id: image.md5,
      sha256: image.hashes?.sha256 ?? "",
      kind: kindName(image.info?.kind),
      format: image.info?.format ?? "",
      bytes: image.info?.bytes ?? 0,
      ingestedUnixMs: image.ingestedUnixMs,
      image: catalogV1.Image.toJSON(image) as Document,
    };
    if (await insertOnce(this.images, doc)) return { created: true, image };
    return { created: false, image: (await this.get(image.md5))! };
  }

  async get(md5: string) {
    return toImage(await this.images.findOne({ _id: md5 }));
  }

  async getBySha256(sha256: string) {
    return toImage(await this.images.find({ sha256 }).sort({ ingestedUnixMs: 1, _id: 1 }).limit(1).next());
  }

  async getMany(md5s: string[]) {
    if (md5s.length === 0) return [];
    return (await this.images.find({ _id: { $in: md5s } }).toArray()).map((d) => toImage(d)!);
  }

  async list(filter: ImageFilter, limit: number, cursor?: Cursor) {
    const q: Filter<ImageDoc> = { ...after("ingestedUnixMs", cursor) };
    if (filter.kind) q.kind = filter.kind;
    if (filter.format) q.format = filter.format;
    if (filter.minBytes !== undefined || filter.maxBytes !== undefined) {
      q.bytes = { ...(filter.minBytes !== undefined && { $gte: filter.minBytes }), ...(filter.maxBytes !== undefined && { $lte: filter.maxBytes }) };
    }
    if (filter.ingestedAfter !== undefined || filter.ingestedBefore !== undefined) {
      // Beside the cursor's $or, so both conditions hold.
      q.$and = [{ ingestedUnixMs: { ...(filter.ingestedAfter !== undefined && { $gte: filter.ingestedAfter }), ...(filter.ingestedBefore !== undefined && { $lt: filter.ingestedBefore }) } }];
    }
    const docs = await this.images.find(q).sort({ ingestedUnixMs: -1, _id: -1 }).limit(limit + 1).toArray();
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
    return (await this.images.deleteOne({ _id: md5 })).deletedCount === 1;
  }

  async stats(since: number) {
    // One $sum per $group: FerretDB 1.24 has no other accumulators, and returns 0 for a field
    // $sum that shares its $group with a constant $sum.
    const [totals] = await this.images.aggregate<{ bytes: number }>([{ $group: { _id: null, bytes: { $sum: "$bytes" } } }]).toArray();
    const [images, recent] = await Promise.all([this.images.countDocuments({}), this.images.countDocuments({ ingestedUnixMs: { $gte: since } })]);
    return { images, bytes: totals?.bytes ?? 0, ingestedSince: recent };
  }

  async *hashes() {
    const cursor = this.images.find({}, { projection: { "image.hashes": 1 } }).batchSize(10_000);
    for await (const doc of cursor) {
      const h = (doc.image?.hashes ?? {}) as Record<string, string | undefined>;
      yield { md5: doc._id, hashes: { phash64: h.phash64, dhash64: h.dhash64, phash256: h.phash256, blockhash256: h.blockhash256, frames: h.frameSignature || undefined } };
    }
  }
}

class MongoDuplicates implements DuplicatesRepo {
  constructor(private readonly coll: Collection<EventDoc>) {}

  put(d: catalogV1.Duplicate) {
    return insertOnce(this.coll, { _id: d.id, at: d.atUnixMs, md5: d.md5, record: catalogV1.Duplicate.toJSON(d) as Document });
  }

  list(md5: string | undefined, limit: number, cursor?: Cursor) {
    return listEvents(this.coll, md5 ? { md5 } : {}, limit, cursor, catalogV1.Duplicate.fromJSON);
  }

  count() {
    return this.coll.countDocuments({});
  }
}

class MongoRejections implements RejectionsRepo {
  constructor(private readonly coll: Collection<EventDoc>) {}

  put(r: catalogV1.Rejection) {
    return insertOnce(this.coll, { _id: r.id, at: r.atUnixMs, reason: r.reason, record: catalogV1.Rejection.toJSON(r) as Document });
  }

  list(reason: string | undefined, limit: number, cursor?: Cursor) {
    return listEvents(this.coll, reason ? { reason } : {}, limit, cursor, catalogV1.Rejection.fromJSON);
  }

  async countByReason() {
    const rows = await this.coll.aggregate<{ _id: string; n: number }>([{ $group: { _id: "$reason", n: { $sum: 1 } } }]).toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
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

export async function mongoRepos(db: Db): Promise<Repos> {
  const images = db.collection<ImageDoc>("images");
  const duplicates = db.collection<EventDoc>("duplicates");
  const rejections = db.collection<EventDoc>("rejections");
  await Promise.all([
    images.createIndex({ ingestedUnixMs: -1, _id: -1 }),
    images.createIndex({ sha256: 1 }),
    images.createIndex({ format: 1, ingestedUnixMs: -1 }),
    images.createIndex({ kind: 1, ingestedUnixMs: -1 }),
    duplicates.createIndex({ at: -1, _id: -1 }),
    duplicates.createIndex({ md5: 1, at: -1 }),
    rejections.createIndex({ at: -1, _id: -1 }),
    rejections.createIndex({ reason: 1, at: -1 }),
  ]);
  // Records from before kinds were images.
  await images.updateMany({ kind: { $exists: false } }, { $set: { kind: "image" } });
  return {
    images: new MongoImages(images, db.collection<ThumbDoc>("thumbnails")),
    duplicates: new MongoDuplicates(duplicates),
    rejections: new MongoRejections(rejections),
    inboxReports: new MongoInboxReports(db.collection<ReportDoc>("inbox_reports")),
  };
}
