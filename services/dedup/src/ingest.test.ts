import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { Metadata, status } from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { catalogV1, hasherV1, ingestV1 } from "@booru/proto";
import { createLogger, openSqlite, REASON_KEY } from "@booru/runtime";
import { SqliteClaimsStore, type ClaimsStore } from "@booru/claims";
import { Ingestor, type IngestOptions } from "./ingest.js";
import { createHandler } from "./consumer.js";
import { dedupMetrics } from "./metrics.js";
import type { CatalogPort, HasherPort } from "./ports.js";

const log = createLogger("test", "silent");
const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

function grpcError(code: status, reason?: string) {
  const metadata = new Metadata();
  if (reason) metadata.set(REASON_KEY, reason);
  return Object.assign(new Error(`${reason ?? code}`), { code, details: `${reason}: bad`, metadata });
}

/** Hashes like the real one; bytes starting with "BAD" are corrupt; `down` makes it UNAVAILABLE. */
class FakeHasher implements HasherPort {
  down = false;
  calls = 0;
  async hash(_name: string, _size: number, chunks: AsyncIterable<Buffer>) {
    this.calls++;
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    const data = Buffer.concat(parts);
    if (this.down) throw grpcError(status.UNAVAILABLE);
    if (data.subarray(0, 3).toString() === "BAD") throw grpcError(status.INVALID_ARGUMENT, "corrupt");
    return hasherV1.HashResponse.fromPartial({
      hashes: { md5: md5(data), sha256: sha(data) },
      info: { format: "png", width: 1, height: 1, bytes: data.length },
      thumbnail: { data: Buffer.from("thumb"), mime: "image/webp", width: 1, height: 1 },
    });
  }
}

class FakeCatalog implements CatalogPort {
  images = new Map<string, catalogV1.PutImageRequest>();
  duplicates = new Map<string, catalogV1.Duplicate>();
  rejections = new Map<string, catalogV1.Rejection>();
  async putImage(req: catalogV1.PutImageRequest) {
    if (!this.images.has(req.image!.md5)) this.images.set(req.image!.md5, req);
  }
  async recordDuplicate(d: catalogV1.Duplicate) {
    this.duplicates.set(d.id, d);
  }
  async recordRejection(r: catalogV1.Rejection) {
    this.rejections.set(r.id, r);
  }
}

let root: string;
let opts: IngestOptions;
let claims: ClaimsStore;
let hasher: FakeHasher;
let catalog: FakeCatalog;
let ingestor: Ingestor;
const noop = () => {};

function setup(over: Partial<IngestOptions> = {}) {
  ingestor = new Ingestor({ ...opts, ...over }, claims, hasher, catalog, dedupMetrics(new Registry(), async () => ({ pending: 0, ackPending: 0 })), log);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "dedup-"));
  for (const d of ["inbox", "library", "duplicates", "rejected"]) mkdirSync(path.join(root, d));
  opts = {
    inboxes: [path.join(root, "inbox")],
    library: path.join(root, "library"),
    duplicates: path.join(root, "duplicates"),
    rejected: path.join(root, "rejected"),
    owner: "me",
    leaseMs: 10_000,
    duplicatesPolicy: "move",
    tombstonePolicy: "reject",
    maxDeliveries: 3,
    keepBytes: 1024,
    inFlightRetryMs: 500,
  };
  claims = new SqliteClaimsStore(openSqlite(":memory:"));
  hasher = new FakeHasher();
  catalog = new FakeCatalog();
  setup();
});

const inbox = (rel: string) => path.join(root, "inbox", rel);
function drop(rel: string, data: Buffer | string) {
  mkdirSync(path.dirname(inbox(rel)), { recursive: true });
  writeFileSync(inbox(rel), data);
  const st = statSync(inbox(rel));
  return ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: rel, size: st.size, mtimeUnixMs: Math.floor(st.mtimeMs) });
}
const reasonOf = (rel: string) => JSON.parse(readFileSync(path.join(root, "rejected", rel + ".reason.json"), "utf8"));

describe("Ingestor", () => {
  it("files a new image into the library, records it, marks the claim done and empties the inbox", async () => {
    const data = "image-one";
    const out = await ingestor.process(drop("a/one.png", data), 1, noop);
    expect(out).toMatchObject({ kind: "ingested", md5: md5(data) });
    const lib = path.join(root, "library", md5(data).slice(0, 2), md5(data).slice(2, 4), `${md5(data)}.png`);
    expect(readFileSync(lib, "utf8")).toBe(data);
    expect(existsSync(inbox("a/one.png"))).toBe(false);
    expect(catalog.images.get(md5(data))!.image).toMatchObject({ sourcePath: "a/one.png", originalName: "one.png", libraryPath: path.relative(path.join(root, "library"), lib) });
    expect(await claims.get(md5(data))).toMatchObject({ state: "done", imageId: path.relative(path.join(root, "library"), lib) });
  });

  it("streams large files twice instead of keeping them", async () => {
    const big = Buffer.alloc(5000, 7);
    expect(await ingestor.process(drop("big.png", big), 1, noop)).toMatchObject({ kind: "ingested" });
    expect(catalog.images.size).toBe(1);
  });

  it("moves a duplicate under another name to duplicates/ before any decode and records it; clashes get a new name", async () => {
    await ingestor.process(drop("one.png", "same"), 1, noop);
    mkdirSync(path.join(root, "duplicates", "x"), { recursive: true });
    writeFileSync(path.join(root, "duplicates", "x", "copy.png"), "older");
    const out = await ingestor.process(drop("x/copy.png", "same"), 1, noop);
    expect(out).toMatchObject({ kind: "duplicate", policy: "move" });
    expect(hasher.calls).toBe(1);
    expect(readFileSync(path.join(root, "duplicates", "x", "copy.png"), "utf8")).toBe("older");
    expect(readFileSync(path.join(root, "duplicates", "x", "copy (1).png"), "utf8")).toBe("same");
    expect([...catalog.duplicates.values()]).toMatchObject([{ md5: md5("same"), sourcePath: "x/copy.png", storedPath: "x/copy (1).png", disposition: catalogV1.Disposition.MOVED }]);
  });

  it("deletes or keeps duplicates by policy", async () => {
    await ingestor.process(drop("one.png", "same"), 1, noop);
    setup({ duplicatesPolicy: "delete" });
    expect(await ingestor.process(drop("two.png", "same"), 1, noop)).toMatchObject({ kind: "duplicate", policy: "delete" });
    expect(existsSync(inbox("two.png"))).toBe(false);
    setup({ duplicatesPolicy: "keep" });
    expect(await ingestor.process(drop("three.png", "same"), 1, noop)).toMatchObject({ kind: "duplicate", policy: "keep" });
    expect(readFileSync(inbox("three.png"), "utf8")).toBe("same");
    expect(catalog.duplicates.size).toBe(2);
  });

  it("quarantines an MD5 collision (same md5, other sha256) and never deletes it", async () => {
    await claims.tryClaim({ md5: md5("victim"), sha256: "0".repeat(64), owner: "x", leaseUntil: 0, source: "old.png" });
    await claims.markDone(md5("victim"), "x", "ab/cd/x.png");
    expect(await ingestor.process(drop("victim.png", "victim"), 1, noop)).toMatchObject({ kind: "rejected", reason: "md5-collision" });
    expect(readFileSync(path.join(root, "rejected", "victim.png"), "utf8")).toBe("victim");
    expect(reasonOf("victim.png")).toMatchObject({ reason: "md5-collision", attempts: 1 });
  });

  it("waits instead of disposing when the same bytes are claimed live elsewhere, and takes over an expired lease", async () => {
    await claims.tryClaim({ md5: md5("busy"), sha256: sha("busy"), owner: "other", leaseUntil: Date.now() + 60_000, source: "o.png" });
    expect(await ingestor.process(drop("busy.png", "busy"), 1, noop)).toMatchObject({ kind: "retry", why: "in-flight", counts: false });
    expect(readFileSync(inbox("busy.png"), "utf8")).toBe("busy");

    await claims.tryClaim({ md5: md5("stale"), sha256: sha("stale"), owner: "dead", leaseUntil: Date.now() - 1, source: "o.png" });
    expect(await ingestor.process(drop("stale.png", "stale"), 1, noop)).toMatchObject({ kind: "ingested" });
    expect(await claims.get(md5("stale"))).toMatchObject({ state: "done", owner: "me", attempts: 2 });
  });

  it("resumes at once a live claim its own crashed run left behind, without waiting for the lease", async () => {
    await claims.tryClaim({ md5: md5("crashed"), sha256: sha("crashed"), owner: "me", leaseUntil: Date.now() + 60_000, source: "crashed.png" });
    expect(await ingestor.process(drop("crashed.png", "crashed"), 2, noop)).toMatchObject({ kind: "ingested" });
    expect(await claims.get(md5("crashed"))).toMatchObject({ state: "done", owner: "me", attempts: 2 });
    expect(existsSync(inbox("crashed.png"))).toBe(false);
  });

  it("never takes over from itself: a second name for bytes it is still hashing waits, then becomes a duplicate", async () => {
    setup({ leaseMs: 30 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const realHash = hasher.hash.bind(hasher);
    hasher.hash = async (...args) => (await gate, realHash(...args));
    const first = ingestor.process(drop("slow-a.png", "same bytes"), 1, noop);
    await new Promise((r) => setTimeout(r, 100)); // the 30 ms lease has long expired
    expect(await ingestor.process(drop("slow-b.png", "same bytes"), 1, noop)).toMatchObject({ kind: "retry", why: "in-flight" });
    release();
    expect(await first).toMatchObject({ kind: "ingested" });
    expect(await ingestor.process(drop("slow-b.png", "same bytes"), 2, noop)).toMatchObject({ kind: "duplicate" });
    expect(readdirSync(path.join(root, "duplicates"))).toEqual(["slow-b.png"]);
  });

  it("finishes its own half-done work on redelivery instead of calling the file a duplicate", async () => {
    const ev = drop("half.png", "half");
    await new Promise((r) => setTimeout(r, 5));
    await claims.tryClaim({ md5: md5("half"), sha256: sha("half"), owner: "me", leaseUntil: Date.now() + 1000, source: "half.png" });
    await claims.markDone(md5("half"), "me", "x");
    expect(await ingestor.process(ev, 2, noop)).toMatchObject({ kind: "ingested", finished: true });
    expect(existsSync(inbox("half.png"))).toBe(false);
    expect(readdirSync(path.join(root, "duplicates"))).toEqual([]);
    // Dropped again at the same path after it was done: a duplicate, kept in duplicates/.
    await new Promise((r) => setTimeout(r, 20));
    expect(await ingestor.process(drop("half.png", "half"), 1, noop)).toMatchObject({ kind: "duplicate" });
    expect(readdirSync(path.join(root, "duplicates"))).toEqual(["half.png"]);
  });

  it("rejects or readmits tombstoned bytes by policy", async () => {
    await claims.tombstone(md5("gone"));
    expect(await ingestor.process(drop("gone.png", "gone"), 1, noop)).toMatchObject({ kind: "rejected", reason: "deleted" });
    setup({ tombstonePolicy: "readmit" });
    expect(await ingestor.process(drop("gone.png", "gone"), 1, noop)).toMatchObject({ kind: "ingested" });
    expect(await claims.get(md5("gone"))).toMatchObject({ state: "done" });
  });

  it("rejects what the hasher calls corrupt, with a reason file, without overwriting an earlier reject", async () => {
    expect(await ingestor.process(drop("bad.jpg", "BAD1"), 1, noop)).toMatchObject({ kind: "rejected", reason: "corrupt" });
    expect(await ingestor.process(drop("bad.jpg", "BAD22"), 1, noop)).toMatchObject({ kind: "rejected", reason: "corrupt" });
    expect(readFileSync(path.join(root, "rejected", "bad.jpg"), "utf8")).toBe("BAD1");
    expect(readFileSync(path.join(root, "rejected", "bad (1).jpg"), "utf8")).toBe("BAD22");
    expect(reasonOf("bad (1).jpg")).toMatchObject({ reason: "corrupt", source: "bad.jpg" });
    expect([...catalog.rejections.values()].map((r) => r.storedPath).sort()).toEqual(["bad (1).jpg", "bad.jpg"]);
    expect(await claims.get(md5("BAD1"))).toMatchObject({ state: "failed" });
  });

  it("rejects an empty file without calling the hasher", async () => {
    expect(await ingestor.process(drop("empty.png", ""), 1, noop)).toMatchObject({ kind: "rejected", reason: "corrupt" });
    expect(hasher.calls).toBe(0);
    expect(existsSync(path.join(root, "rejected", "empty.png"))).toBe(true);
  });

  it("retries when the hasher is down, keeps the file and releases the claim", async () => {
    hasher.down = true;
    await expect(ingestor.process(drop("later.png", "later"), 1, noop)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(readFileSync(inbox("later.png"), "utf8")).toBe("later");
    expect(await claims.get(md5("later"))).toMatchObject({ state: "failed" });
    hasher.down = false;
    expect(await ingestor.process(drop("later.png", "later"), 2, noop)).toMatchObject({ kind: "ingested" });
  });

  it("moves a symlink that leaves the inbox to rejected/ without touching its target", async () => {
    const outside = path.join(root, "secret.png");
    writeFileSync(outside, "secret");
    symlinkSync(outside, inbox("link.png"));
    const ev = ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: "link.png" });
    expect(await ingestor.process(ev, 1, noop)).toMatchObject({ kind: "rejected", reason: "outside-inbox" });
    expect(readFileSync(outside, "utf8")).toBe("secret");
    expect(existsSync(inbox("link.png"))).toBe(false);
    expect(reasonOf("link.png").reason).toBe("outside-inbox");
    expect(hasher.calls).toBe(0);
  });

  it("refuses events naming a path outside the inbox and touches nothing", async () => {
    writeFileSync(path.join(root, "x.png"), "x");
    const ev = ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: "../x.png" });
    expect(await ingestor.process(ev, 1, noop)).toMatchObject({ kind: "rejected", reason: "outside-inbox" });
    expect(existsSync(path.join(root, "x.png"))).toBe(true);
  });

  it("acks a file that vanished, and rejects after too many deliveries", async () => {
    const ev = drop("v.png", "v");
    await import("node:fs/promises").then((fs) => fs.unlink(inbox("v.png")));
    expect(await ingestor.process(ev, 1, noop)).toEqual({ kind: "vanished" });
    expect(await ingestor.process(drop("poison.png", "p"), 4, noop)).toMatchObject({ kind: "rejected", reason: "max-deliveries" });
    expect(reasonOf("poison.png").attempts).toBe(4);
  });
});

describe("message handling", () => {
  const fakeMsg = (deliveryCount: number, data: Uint8Array) => {
    const calls: string[] = [];
    return {
      calls,
      msg: {
        data,
        subject: "s",
        deliveryCount,
        headers: {},
        ack: async () => void calls.push("ack"),
        nak: (d?: number) => void calls.push(`nak:${d}`),
        working: () => {},
        term: () => void calls.push("term"),
      },
    };
  };

  it("naks transient failures with backoff, and requeues a fresh copy instead of using up the last delivery", async () => {
    hasher.down = true;
    const requeued: { data: Uint8Array; headers: Record<string, string> }[] = [];
    const handler = createHandler(ingestor, dedupMetrics(new Registry(), async () => ({ pending: 0, ackPending: 0 })), log, {
      maxDeliveries: 3,
      ackWaitMs: 1000,
      requeue: async (data, headers) => void requeued.push({ data, headers }),
    });
    const data = ingestV1.FileDiscovered.encode(drop("t.png", "t")).finish();
    const first = fakeMsg(1, data);
    await handler(first.msg);
    expect(first.calls).toEqual(["nak:1000"]);
    const last = fakeMsg(3, data);
    await handler(last.msg);
    expect(last.calls).toEqual(["ack"]);
    expect(requeued).toHaveLength(1);
    expect(readFileSync(inbox("t.png"), "utf8")).toBe("t");
    // The fresh copy waits out its backoff on the bus, not on one of dedup's slots.
    const early = fakeMsg(1, requeued[0]!.data);
    Object.assign(early.msg, { headers: requeued[0]!.headers });
    await handler(early.msg);
    expect(early.calls).toHaveLength(1);
    expect(early.calls[0]).toMatch(/^nak:(\d+)$/);
    expect(Number(early.calls[0]!.slice(4))).toBeGreaterThan(1000);
    expect(hasher.calls).toBe(2);
    const garbage = fakeMsg(1, new Uint8Array([255, 255, 255]));
    await handler(garbage.msg);
    expect(garbage.calls).toEqual(["term"]);
  });
});

describe("catalog outages", () => {
  it("leaves no stray copy in duplicates/ or rejected/ when recording fails, so the retry places the file once", async () => {
    await ingestor.process(drop("one.png", "same"), 1, noop);
    const down = Object.assign(new Error("down"), { code: status.UNAVAILABLE });
    const failing = Object.assign(new FakeCatalog(), { recordDuplicate: async () => Promise.reject(down), recordRejection: async () => Promise.reject(down) });
    const real = catalog;
    catalog = failing;
    setup();
    const dup = drop("two.png", "same");
    await expect(ingestor.process(dup, 1, noop)).rejects.toBe(down);
    const bad = drop("bad.jpg", "BAD");
    await expect(ingestor.process(bad, 1, noop)).rejects.toBe(down);
    expect(readdirSync(path.join(root, "duplicates"))).toEqual([]);
    expect(readdirSync(path.join(root, "rejected"))).toEqual([]);
    catalog = real;
    setup();
    expect(await ingestor.process(dup, 2, noop)).toMatchObject({ kind: "duplicate" });
    expect(await ingestor.process(bad, 2, noop)).toMatchObject({ kind: "rejected" });
    expect(readdirSync(path.join(root, "duplicates"))).toEqual(["two.png"]);
    expect(readdirSync(path.join(root, "rejected")).sort()).toEqual(["bad.jpg", "bad.jpg.reason.json"]);
  });

  it.each([
    ["refuses the token", status.UNAUTHENTICATED, 0],
    ["refuses the token's scope", status.PERMISSION_DENIED, 0],
    ["refuses the request", status.INVALID_ARGUMENT, 0],
    // The record may have been written before the connection broke: the copy stays for the retry.
    ["is cut off", status.UNAVAILABLE, 1],
  ])("leaves no library copy without a record when the catalog %s", async (_what, code, copiesLeft) => {
    const failure = Object.assign(new Error("no"), { code });
    const real = catalog;
    catalog = Object.assign(new FakeCatalog(), { putImage: async () => Promise.reject(failure) });
    setup();
    const ev = drop("kept.png", "kept");
    await expect(ingestor.process(ev, 1, noop)).rejects.toBe(failure);
    const library = path.join(root, "library");
    const copies = () => readdirSync(library, { recursive: true }).filter((f) => String(f).endsWith(".png"));
    expect(copies()).toHaveLength(copiesLeft);
    expect(readFileSync(inbox("kept.png"), "utf8")).toBe("kept");
    catalog = real;
    setup();
    expect(await ingestor.process(ev, 2, noop)).toMatchObject({ kind: "ingested", md5: md5("kept") });
    expect(copies()).toHaveLength(1);
  });
});

describe("deadlines", () => {
  it("counts a hasher deadline toward max-deliveries (nak), unlike an unavailable hasher", async () => {
    const slow: HasherPort = { hash: async () => Promise.reject(Object.assign(new Error("slow"), { code: status.DEADLINE_EXCEEDED })) };
    ingestor = new Ingestor(opts, claims, slow, catalog, dedupMetrics(new Registry(), async () => ({ pending: 0, ackPending: 0 })), log);
    const handler = createHandler(ingestor, dedupMetrics(new Registry(), async () => ({ pending: 0, ackPending: 0 })), log, { maxDeliveries: 3, ackWaitMs: 1000, requeue: async () => {} });
    const calls: string[] = [];
    const data = ingestV1.FileDiscovered.encode(drop("slow.png", "slow")).finish();
    await handler({ data, subject: "s", deliveryCount: 3, headers: {}, ack: async () => void calls.push("ack"), nak: (d) => void calls.push(`nak:${d}`), working: () => {}, term: () => {} });
    expect(calls).toEqual(["nak:4000"]);
    expect(await ingestor.process(drop("slow.png", "slow"), 4, noop)).toMatchObject({ kind: "rejected", reason: "max-deliveries" });
  });
});
