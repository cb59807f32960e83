import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Metadata, status } from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { catalogV1, hasherV1, ingestV1 } from "@booru/proto";
import { createLogger, FileClock, openSqlite, Reason, REASON_KEY, reasonName, type WorkMessage } from "@booru/runtime";
import { SqliteClaimsStore, type ClaimsStore } from "./claims/index.js";
import { Ingestor, type Attempt, type IngestOptions } from "./ingest.js";
import { createHandler } from "./consumer.js";
import { dedupMetrics } from "./metrics.js";
import type { CatalogPort, HasherPort } from "./ports.js";

const log = createLogger("test", "silent");
const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

function grpcError(code: status, reason?: Reason) {
  const metadata = new Metadata();
  if (reason) metadata.set(REASON_KEY, reasonName(reason));
  const details = reason ? `${reasonName(reason)}: bad` : `${status[code]} details`;
  return Object.assign(new Error(details), { code, details, metadata });
}

/**
 * Hashes like the real one; bytes starting with "BAD" are corrupt, "CUT" without "END" truncated;
 * `failWith` makes every call fail with that gRPC status.
 */
class FakeHasher implements HasherPort {
  failWith?: status;
  calls = 0;
  set down(down: boolean) {
    this.failWith = down ? status.UNAVAILABLE : undefined;
  }
  async hash(_name: string, _size: number, chunks: AsyncIterable<Buffer>) {
    this.calls++;
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    const data = Buffer.concat(parts);
    if (this.failWith !== undefined) throw grpcError(this.failWith);
    if (data.subarray(0, 3).toString() === "BAD") throw grpcError(status.INVALID_ARGUMENT, Reason.CORRUPT);
    if (data.subarray(0, 3).toString() === "CUT" && data.subarray(-3).toString() !== "END") throw grpcError(status.INVALID_ARGUMENT, Reason.TRUNCATED);
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
    const created = !this.images.has(req.image!.md5);
    if (created) this.images.set(req.image!.md5, req);
    return { created, sourcePath: this.images.get(req.image!.md5)!.image!.sourcePath };
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
/** The nth processing of a file (and the bus's delivery count of this copy). */
const attempt = (number = 1, delivery = number, firstAt = Date.now()): Attempt => ({ number, delivery, firstAt });

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
    settleMaxMs: 60_000,
    fileClock: new FileClock(log),
  };
  claims = new SqliteClaimsStore(openSqlite(":memory:"));
  hasher = new FakeHasher();
  catalog = new FakeCatalog();
  setup();
});

const inbox = (rel: string) => path.join(root, "inbox", rel);
/** Writes a file into the inbox (optionally with this mtime) and returns the event the watcher would publish. */
function drop(rel: string, data: Buffer | string, mtime?: Date) {
  mkdirSync(path.dirname(inbox(rel)), { recursive: true });
  writeFileSync(inbox(rel), data);
  if (mtime) utimesSync(inbox(rel), mtime, mtime);
  const st = statSync(inbox(rel));
  return ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: rel, size: st.size, mtimeUnixMs: Math.floor(st.mtimeMs), ctimeUnixMs: Math.floor(st.ctimeMs) });
}
const reasonOf = (rel: string) => JSON.parse(readFileSync(path.join(root, "rejected", rel + ".reason.json"), "utf8"));

describe("Ingestor", () => {
  it("files a new image into the library, records it, marks the claim done and empties the inbox", async () => {
    const data = "image-one";
    const out = await ingestor.process(drop("a/one.png", data), attempt(), noop);
    expect(out).toMatchObject({ kind: "ingested", md5: md5(data) });
    const lib = path.join(root, "library", md5(data).slice(0, 2), md5(data).slice(2, 4), `${md5(data)}.png`);
    expect(readFileSync(lib, "utf8")).toBe(data);
    expect(existsSync(inbox("a/one.png"))).toBe(false);
    expect(catalog.images.get(md5(data))!.image).toMatchObject({ sourcePath: "a/one.png", originalName: "one.png", libraryPath: path.relative(path.join(root, "library"), lib) });
    expect(await claims.get(md5(data))).toMatchObject({ state: "done", libraryPath: path.relative(path.join(root, "library"), lib) });
  });

  it("streams large files twice instead of keeping them", async () => {
    const big = Buffer.alloc(5000, 7);
    expect(await ingestor.process(drop("big.png", big), attempt(), noop)).toMatchObject({ kind: "ingested" });
    expect(catalog.images.size).toBe(1);
  });

  it("moves a duplicate under another name to duplicates/ before any decode and records it; clashes get a new name", async () => {
    await ingestor.process(drop("one.png", "same"), attempt(), noop);
    mkdirSync(path.join(root, "duplicates", "x"), { recursive: true });
    writeFileSync(path.join(root, "duplicates", "x", "copy.png"), "older");
    const out = await ingestor.process(drop("x/copy.png", "same"), attempt(), noop);
    expect(out).toMatchObject({ kind: "duplicate", policy: "move" });
    expect(hasher.calls).toBe(1);
    expect(readFileSync(path.join(root, "duplicates", "x", "copy.png"), "utf8")).toBe("older");
    expect(readFileSync(path.join(root, "duplicates", "x", "copy (1).png"), "utf8")).toBe("same");
    expect([...catalog.duplicates.values()]).toMatchObject([{ md5: md5("same"), sourcePath: "x/copy.png", storedPath: "x/copy (1).png", disposition: catalogV1.Disposition.MOVED }]);
  });

  it("deletes or keeps duplicates by policy", async () => {
    await ingestor.process(drop("one.png", "same"), attempt(), noop);
    setup({ duplicatesPolicy: "delete" });
    expect(await ingestor.process(drop("two.png", "same"), attempt(), noop)).toMatchObject({ kind: "duplicate", policy: "delete" });
    expect(existsSync(inbox("two.png"))).toBe(false);
    setup({ duplicatesPolicy: "keep" });
    expect(await ingestor.process(drop("three.png", "same"), attempt(), noop)).toMatchObject({ kind: "duplicate", policy: "keep" });
    expect(readFileSync(inbox("three.png"), "utf8")).toBe("same");
    expect(catalog.duplicates.size).toBe(2);
  });

  it("quarantines an MD5 collision (same md5, other sha256) and never deletes it", async () => {
    await claims.tryClaim({ md5: md5("victim"), sha256: "0".repeat(64), owner: "x", leaseUntil: 0, source: "old.png" });
    await claims.markDone(md5("victim"), "x", "ab/cd/x.png");
    expect(await ingestor.process(drop("victim.png", "victim"), attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.MD5_COLLISION });
    expect(readFileSync(path.join(root, "rejected", "victim.png"), "utf8")).toBe("victim");
    expect(reasonOf("victim.png")).toMatchObject({ reason: "md5-collision", attempts: 1 });
  });

  it("waits instead of disposing when the same bytes are claimed live elsewhere, and takes over an expired lease", async () => {
    await claims.tryClaim({ md5: md5("busy"), sha256: sha("busy"), owner: "other", leaseUntil: Date.now() + 60_000, source: "o.png" });
    expect(await ingestor.process(drop("busy.png", "busy"), attempt(), noop)).toMatchObject({ kind: "retry", why: "in-flight" });
    expect(readFileSync(inbox("busy.png"), "utf8")).toBe("busy");

    await claims.tryClaim({ md5: md5("stale"), sha256: sha("stale"), owner: "dead", leaseUntil: Date.now() - 1, source: "o.png" });
    expect(await ingestor.process(drop("stale.png", "stale"), attempt(), noop)).toMatchObject({ kind: "ingested" });
    expect(await claims.get(md5("stale"))).toMatchObject({ state: "done", owner: "me", attempts: 2 });
  });

  it("a copy that takes over after the original recorded its image, but lost its claim before marking it done, is a duplicate of that record", async () => {
    // The original o.png: recorded in the catalog, its claim lost (expired) before it was marked done.
    const bytes = "recorded by another";
    drop("o.png", bytes);
    await catalog.putImage(catalogV1.PutImageRequest.fromPartial({ image: { md5: md5(bytes), sourcePath: "o.png", libraryPath: `${md5(bytes).slice(0, 2)}/${md5(bytes).slice(2, 4)}/${md5(bytes)}.png` } }));
    await claims.tryClaim({ md5: md5(bytes), sha256: sha(bytes), owner: "o-replica", leaseUntil: Date.now() - 1, source: "o.png", entry: "o-entry" });
    const out = await ingestor.process(drop("copies/c.png", bytes), attempt(), noop);
    expect(out).toMatchObject({ kind: "duplicate", md5: md5(bytes) });
    // The copy is kept in duplicates/ with a record, never removed as if it had been filed.
    expect(readFileSync(path.join(root, "duplicates", "copies", "c.png"), "utf8")).toBe(bytes);
    expect([...catalog.duplicates.values()].map((d) => d.sourcePath)).toEqual(["copies/c.png"]);
    expect(catalog.images.get(md5(bytes))!.image!.sourcePath).toBe("o.png");
    expect(await claims.get(md5(bytes))).toMatchObject({ state: "done", source: "o.png" });
    expect(existsSync(path.join(root, "library", md5(bytes).slice(0, 2), md5(bytes).slice(2, 4), `${md5(bytes)}.png`))).toBe(true);
    // The original, delivered again, is the recorded file: only its removal was left (it is
    // not a duplicate of itself, so the books show one image and one duplicate).
    expect(await ingestor.process(drop("o.png", bytes), attempt(2), noop)).toMatchObject({ kind: "ingested", finished: true });
    expect(existsSync(path.join(root, "inbox", "o.png"))).toBe(false);
    expect(existsSync(path.join(root, "duplicates", "o.png"))).toBe(false);
    expect([...catalog.duplicates.values()].map((d) => d.sourcePath)).toEqual(["copies/c.png"]);
  });

  it("resumes at once a live claim its own crashed run left behind, without waiting for the lease", async () => {
    await claims.tryClaim({ md5: md5("crashed"), sha256: sha("crashed"), owner: "me", leaseUntil: Date.now() + 60_000, source: "crashed.png" });
    expect(await ingestor.process(drop("crashed.png", "crashed"), attempt(2), noop)).toMatchObject({ kind: "ingested" });
    expect(await claims.get(md5("crashed"))).toMatchObject({ state: "done", owner: "me", attempts: 2 });
    expect(existsSync(inbox("crashed.png"))).toBe(false);
  });

  it("never takes over from itself: a second name for bytes it is still hashing waits, then becomes a duplicate", async () => {
    setup({ leaseMs: 30 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const realHash = hasher.hash.bind(hasher);
    hasher.hash = async (...args) => (await gate, realHash(...args));
    const first = ingestor.process(drop("slow-a.png", "same bytes"), attempt(), noop);
    await new Promise((r) => setTimeout(r, 100)); // the 30 ms lease has long expired
    expect(await ingestor.process(drop("slow-b.png", "same bytes"), attempt(), noop)).toMatchObject({ kind: "retry", why: "in-flight" });
    release();
    expect(await first).toMatchObject({ kind: "ingested" });
    expect(await ingestor.process(drop("slow-b.png", "same bytes"), attempt(2), noop)).toMatchObject({ kind: "duplicate" });
    expect(readdirSync(path.join(root, "duplicates"))).toEqual(["slow-b.png"]);
  });

  /** Processes a drop that stops right after its claim is done (a crash before the inbox file is removed). */
  async function crashAfterDone(ev: ingestV1.FileDiscovered) {
    const markDone = claims.markDone.bind(claims);
    claims.markDone = async (...args) => {
      await markDone(...args);
      throw new Error("killed after markDone");
    };
    await expect(ingestor.process(ev, attempt(), noop)).rejects.toThrow("killed after markDone");
    claims.markDone = markDone;
  }

  it("finishes its own half-done work on redelivery instead of calling the file a duplicate", async () => {
    const ev = drop("half.png", "half");
    await crashAfterDone(ev);
    expect(existsSync(inbox("half.png"))).toBe(true);
    expect(await ingestor.process(ev, attempt(2), noop)).toMatchObject({ kind: "ingested", finished: true });
    expect(existsSync(inbox("half.png"))).toBe(false);
    expect(readdirSync(path.join(root, "duplicates"))).toEqual([]);
    // Dropped again at the same path after it was done: a duplicate, kept in duplicates/.
    expect(await ingestor.process(drop("half.png", "half"), attempt(), noop)).toMatchObject({ kind: "duplicate" });
    expect(readdirSync(path.join(root, "duplicates"))).toEqual(["half.png"]);
  });

  it("compares file times with file times: a re-drop with an old mtime is a recorded duplicate, never silently removed", async () => {
    await ingestor.process(drop("photo.png", "photo"), attempt(), noop);
    // The same bytes again at the same path, from a share whose clock is years behind (or cp -p).
    const again = drop("photo.png", "photo", new Date("2001-01-01T00:00:00Z"));
    expect(await ingestor.process(again, attempt(), noop)).toMatchObject({ kind: "duplicate" });
    expect(readFileSync(path.join(root, "duplicates", "photo.png"), "utf8")).toBe("photo");
    expect([...catalog.duplicates.values()]).toMatchObject([{ md5: md5("photo"), sourcePath: "photo.png" }]);
  });

  it("finishes a half-done file whose mtime is in the future (a share whose clock is ahead), without a duplicate of itself", async () => {
    const ev = drop("ahead.png", "ahead", new Date(Date.now() + 3 * 3_600_000));
    await crashAfterDone(ev);
    expect(await ingestor.process(ev, attempt(2), noop)).toMatchObject({ kind: "ingested", finished: true });
    expect(existsSync(inbox("ahead.png"))).toBe(false);
    expect(readdirSync(path.join(root, "duplicates"))).toEqual([]);
    expect(catalog.duplicates.size).toBe(0);
  });

  it("rejects or readmits tombstoned bytes by policy", async () => {
    await claims.tombstone(md5("gone"));
    expect(await ingestor.process(drop("gone.png", "gone"), attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.DELETED });
    setup({ tombstonePolicy: "readmit" });
    expect(await ingestor.process(drop("gone.png", "gone"), attempt(), noop)).toMatchObject({ kind: "ingested" });
    expect(await claims.get(md5("gone"))).toMatchObject({ state: "done" });
  });

  it("rejects what the hasher calls corrupt, with a reason file, without overwriting an earlier reject", async () => {
    expect(await ingestor.process(drop("bad.jpg", "BAD1"), attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.CORRUPT });
    expect(await ingestor.process(drop("bad.jpg", "BAD22"), attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.CORRUPT });
    expect(readFileSync(path.join(root, "rejected", "bad.jpg"), "utf8")).toBe("BAD1");
    expect(readFileSync(path.join(root, "rejected", "bad (1).jpg"), "utf8")).toBe("BAD22");
    expect(reasonOf("bad (1).jpg")).toMatchObject({ reason: "corrupt", source: "bad.jpg" });
    expect([...catalog.rejections.values()].map((r) => r.storedPath).sort()).toEqual(["bad (1).jpg", "bad.jpg"]);
    expect(await claims.get(md5("BAD1"))).toMatchObject({ state: "failed" });
  });

  it("waits for an empty file while it may still be written, then rejects it without calling the hasher", async () => {
    expect(await ingestor.process(drop("empty.png", ""), attempt(), noop)).toMatchObject({ kind: "retry", why: "truncated" });
    expect(existsSync(inbox("empty.png"))).toBe(true);
    const old = drop("empty.png", "", new Date(Date.now() - 10 * 60_000));
    expect(await ingestor.process(old, attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.CORRUPT });
    expect(hasher.calls).toBe(0);
    expect(reasonOf("empty.png").message).toMatch(/empty file; unchanged for 10 min/);
  });

  describe("a file that ends early (truncated)", () => {
    it("is waited for while modified within BOORU_SETTLE_MAX, keeping the file and releasing the claim", async () => {
      expect(await ingestor.process(drop("cut.jpg", "CUT-half"), attempt(), noop)).toMatchObject({ kind: "retry", why: "truncated", md5: md5("CUT-half") });
      expect(readFileSync(inbox("cut.jpg"), "utf8")).toBe("CUT-half");
      expect(readdirSync(path.join(root, "rejected"))).toEqual([]);
      expect(await claims.get(md5("CUT-half"))).toMatchObject({ state: "failed" });
    });

    it("is rejected as truncated once unchanged for BOORU_SETTLE_MAX by its own file times", async () => {
      const old = drop("old-cut.jpg", "CUT-old", new Date(Date.now() - 5 * 60_000));
      expect(await ingestor.process(old, attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.TRUNCATED });
      expect(reasonOf("old-cut.jpg")).toMatchObject({ reason: "truncated", message: expect.stringMatching(/truncated: bad; unchanged for 5 min/) });
    });

    it("is rejected once waited for BOORU_SETTLE_MAX since the first attempt, even with an mtime in the future", async () => {
      const ahead = drop("ahead-cut.jpg", "CUT-ahead", new Date(Date.now() + 3_600_000));
      expect(await ingestor.process(ahead, attempt(), noop)).toMatchObject({ kind: "retry", why: "truncated" });
      expect(await ingestor.process(ahead, attempt(5, 1, Date.now() - 61_000), noop)).toMatchObject({ kind: "rejected", reason: Reason.TRUNCATED });
    });
  });

  it("retries when the hasher is down, keeps the file and releases the claim", async () => {
    hasher.down = true;
    await expect(ingestor.process(drop("later.png", "later"), attempt(), noop)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(readFileSync(inbox("later.png"), "utf8")).toBe("later");
    expect(await claims.get(md5("later"))).toMatchObject({ state: "failed" });
    hasher.down = false;
    expect(await ingestor.process(drop("later.png", "later"), attempt(2), noop)).toMatchObject({ kind: "ingested" });
  });

  it("moves a symlink that leaves the inbox to rejected/ without touching its target", async () => {
    const outside = path.join(root, "secret.png");
    writeFileSync(outside, "secret");
    symlinkSync(outside, inbox("link.png"));
    const ev = ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: "link.png" });
    expect(await ingestor.process(ev, attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.OUTSIDE_INBOX });
    expect(readFileSync(outside, "utf8")).toBe("secret");
    expect(existsSync(inbox("link.png"))).toBe(false);
    expect(reasonOf("link.png").reason).toBe("outside-inbox");
    expect(hasher.calls).toBe(0);
  });

  it("refuses events naming a path outside the inbox and touches nothing", async () => {
    writeFileSync(path.join(root, "x.png"), "x");
    const ev = ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: "../x.png" });
    expect(await ingestor.process(ev, attempt(), noop)).toMatchObject({ kind: "rejected", reason: Reason.OUTSIDE_INBOX });
    expect(existsSync(path.join(root, "x.png"))).toBe(true);
  });

  it("acks a file that vanished, and rejects after too many deliveries", async () => {
    const ev = drop("v.png", "v");
    await import("node:fs/promises").then((fs) => fs.unlink(inbox("v.png")));
    expect(await ingestor.process(ev, attempt(), noop)).toEqual({ kind: "vanished" });
    expect(await ingestor.process(drop("poison.png", "p"), attempt(4), noop)).toMatchObject({ kind: "rejected", reason: Reason.MAX_DELIVERIES });
    expect(reasonOf("poison.png").attempts).toBe(4);
  });
});

/**
 * The handler on a bus that runs each delivery at once and jumps the clock over every delay
 * (Date only is faked: the file work stays real), so hours of backoff take milliseconds.
 */
class LoopBus {
  readonly queue: { data: Uint8Array; headers: Record<string, string>; delivery: number }[] = [];
  readonly settled: string[] = [];
  requeues = 0;

  constructor(private readonly limits = { maxAttempts: 4, maxTimeMs: 3_600_000, maxErrors: 3 }) {}

  handler() {
    return createHandler(ingestor, dedupMetrics(new Registry(), async () => ({ pending: 0, ackPending: 0 })), log, {
      ackWaitMs: 60_000,
      retry: this.limits,
      requeue: async (data, headers) => {
        this.requeues++;
        this.queue.push({ data, headers, delivery: 1 });
      },
    });
  }

  /** Delivers until the queue is empty or `steps` deliveries were made. */
  async run(ev: ingestV1.FileDiscovered, steps = 200): Promise<void> {
    const handle = this.handler();
    this.queue.push({ data: ingestV1.FileDiscovered.encode(ev).finish(), headers: {}, delivery: 1 });
    for (let i = 0; i < steps && this.queue.length > 0; i++) {
      const copy = this.queue.shift()!;
      const msg: WorkMessage = {
        data: copy.data,
        subject: "ingest.files",
        deliveryCount: copy.delivery,
        headers: copy.headers,
        ack: async () => void this.settled.push("ack"),
        nak: (delayMs = 0) => {
          this.settled.push("nak");
          vi.setSystemTime(Date.now() + delayMs);
          this.queue.unshift({ ...copy, delivery: copy.delivery + 1 });
        },
        working: () => {},
        term: () => void this.settled.push("term"),
      };
      await handle(msg);
    }
  }
}

describe("retries that end", () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ["Date"] }));
  afterEach(() => void vi.useRealTimers());

  it("retries an unavailable hasher with backoff, keeping the file, and gives up after BOORU_RETRY_MAX_ATTEMPTS with the last error", async () => {
    hasher.down = true;
    const bus = new LoopBus();
    const started = Date.now();
    await bus.run(drop("down.png", "down"));
    expect(hasher.calls).toBe(4);
    // 1 s, 2 s, 4 s of backoff (20% jitter below), waited on the bus, not in a handler.
    expect(Date.now() - started).toBeGreaterThanOrEqual(0.8 * 7000);
    expect(bus.requeues).toBe(3);
    expect(reasonOf("down.png")).toMatchObject({ reason: "gave-up", attempts: 4, message: expect.stringMatching(/after 4 failed attempts .*: UNAVAILABLE: UNAVAILABLE details/) });
    expect([...catalog.rejections.values()]).toMatchObject([{ reason: "gave-up", attempts: 4, sourcePath: "down.png" }]);
    expect(existsSync(inbox("down.png"))).toBe(false);
  });

  it("ingests a file once the hasher is back, before any limit", async () => {
    hasher.down = true;
    const bus = new LoopBus();
    const ev = drop("later.png", "later");
    const real = hasher.hash.bind(hasher);
    hasher.hash = async (...args) => {
      if (hasher.calls === 2) hasher.down = false;
      return real(...args);
    };
    await bus.run(ev);
    expect(catalog.images.has(md5("later"))).toBe(true);
    expect(catalog.rejections.size).toBe(0);
  });

  for (const code of [status.UNKNOWN, status.CANCELLED, status.RESOURCE_EXHAUSTED, status.INTERNAL]) {
    it(`does not wait forever on ${status[code]}: rejected after BOORU_MAX_DELIVERIES failures (max-deliveries) with the error`, async () => {
      hasher.failWith = code;
      const bus = new LoopBus({ maxAttempts: 1000, maxTimeMs: 100 * 3_600_000, maxErrors: 3 });
      await bus.run(drop("bug.png", "bug"));
      expect(hasher.calls).toBe(3);
      expect(reasonOf("bug.png")).toMatchObject({ reason: "max-deliveries", attempts: 3, message: expect.stringContaining(`${status[code]}: ${status[code]} details`) });
    });
  }

  it("counts a deadline toward BOORU_MAX_DELIVERIES too: a busy peer and a pathological file look alike", async () => {
    hasher.failWith = status.DEADLINE_EXCEEDED;
    const bus = new LoopBus({ maxAttempts: 1000, maxTimeMs: 100 * 3_600_000, maxErrors: 3 });
    await bus.run(drop("slow.png", "slow"));
    expect(hasher.calls).toBe(3);
    expect(reasonOf("slow.png")).toMatchObject({ reason: "max-deliveries", message: expect.stringContaining("DEADLINE_EXCEEDED") });
  });

  it("gives up after BOORU_RETRY_MAX_TIME even when attempts are left, the backoff growing to minutes", async () => {
    hasher.down = true;
    const bus = new LoopBus({ maxAttempts: 1000, maxTimeMs: 30 * 60_000, maxErrors: 3 });
    const started = Date.now();
    await bus.run(drop("outage.png", "outage"));
    expect(Date.now() - started).toBeLessThanOrEqual(30 * 60_000);
    // 1+2+4+...+256 s, then 5 min apart: about 13 attempts fit in 30 minutes, not hundreds.
    expect(hasher.calls).toBeGreaterThan(8);
    expect(hasher.calls).toBeLessThan(16);
    expect(reasonOf("outage.png")).toMatchObject({ reason: "gave-up", message: expect.stringMatching(/retrying for \d+ min .*UNAVAILABLE/) });
  });

  it("waits for bytes in flight elsewhere without using up attempts, but not forever", async () => {
    await claims.tryClaim({ md5: md5("held"), sha256: sha("held"), owner: "stuck", leaseUntil: Date.now() + 1e12, source: "o.png" });
    const bus = new LoopBus({ maxAttempts: 2, maxTimeMs: 10 * 60_000, maxErrors: 2 });
    await bus.run(drop("copy.png", "held"));
    expect(bus.requeues).toBeGreaterThan(10);
    expect(reasonOf("copy.png")).toMatchObject({ reason: "gave-up", message: expect.stringMatching(/waiting for \d+ min \(in-flight\)/) });
  });

  it("waits for a truncated file and rejects it as truncated after BOORU_SETTLE_MAX, not as gave-up", async () => {
    const bus = new LoopBus();
    await bus.run(drop("cut.jpg", "CUT"));
    expect(hasher.calls).toBeGreaterThan(2);
    expect(reasonOf("cut.jpg")).toMatchObject({ reason: "truncated" });
  });

  it("drops the old event of a file that grew while it was waited for: the newer event ingests it once", async () => {
    const bus = new LoopBus();
    const first = drop("grow.jpg", "CUT");
    const real = hasher.hash.bind(hasher);
    hasher.hash = async (...args) => {
      const res = real(...args);
      // The writer resumes while the first event waits out its backoff.
      if (hasher.calls === 2) writeFileSync(inbox("grow.jpg"), "CUT and the rest: END");
      return res;
    };
    await bus.run(first).catch(() => undefined);
    expect(readdirSync(path.join(root, "rejected"))).toEqual([]);
    expect(readFileSync(inbox("grow.jpg"), "utf8")).toBe("CUT and the rest: END");
    hasher.hash = real;
    const st = statSync(inbox("grow.jpg"));
    await new LoopBus().run(ingestV1.FileDiscovered.fromPartial({ inbox: path.join(root, "inbox"), path: "grow.jpg", size: st.size, mtimeUnixMs: Math.floor(st.mtimeMs) }));
    expect([...catalog.images.keys()]).toEqual([md5("CUT and the rest: END")]);
  });

  it("leaves a requeued copy on the bus until it is due, and drops an undecodable message", async () => {
    hasher.down = true;
    const bus = new LoopBus({ maxAttempts: 2, maxTimeMs: 3_600_000, maxErrors: 2 });
    await bus.run(drop("t.png", "t"));
    // First copy acked after its failure; the requeued copy handed back (nak) until due, then run.
    expect(bus.settled.slice(0, 3)).toEqual(["ack", "nak", "ack"]);
    expect(hasher.calls).toBe(2);
    const calls: string[] = [];
    const garbage: WorkMessage = { data: new Uint8Array([255, 255, 255]), subject: "s", deliveryCount: 1, headers: {}, ack: async () => {}, nak: () => {}, working: () => {}, term: () => void calls.push("term") };
    await bus.handler()(garbage);
    expect(calls).toEqual(["term"]);
  });
});

describe("catalog outages", () => {
  it("leaves no stray copy in duplicates/ or rejected/ when recording fails, so the retry places the file once", async () => {
    await ingestor.process(drop("one.png", "same"), attempt(), noop);
    const down = Object.assign(new Error("down"), { code: status.UNAVAILABLE });
    const failing = Object.assign(new FakeCatalog(), { recordDuplicate: async () => Promise.reject(down), recordRejection: async () => Promise.reject(down) });
    const real = catalog;
    catalog = failing;
    setup();
    const dup = drop("two.png", "same");
    await expect(ingestor.process(dup, attempt(), noop)).rejects.toBe(down);
    const bad = drop("bad.jpg", "BAD");
    await expect(ingestor.process(bad, attempt(), noop)).rejects.toBe(down);
    expect(readdirSync(path.join(root, "duplicates"))).toEqual([]);
    expect(readdirSync(path.join(root, "rejected"))).toEqual([]);
    catalog = real;
    setup();
    expect(await ingestor.process(dup, attempt(2), noop)).toMatchObject({ kind: "duplicate" });
    expect(await ingestor.process(bad, attempt(2), noop)).toMatchObject({ kind: "rejected" });
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
    await expect(ingestor.process(ev, attempt(), noop)).rejects.toBe(failure);
    const library = path.join(root, "library");
    const copies = () => readdirSync(library, { recursive: true }).filter((f) => String(f).endsWith(".png"));
    expect(copies()).toHaveLength(copiesLeft);
    expect(readFileSync(inbox("kept.png"), "utf8")).toBe("kept");
    catalog = real;
    setup();
    expect(await ingestor.process(ev, attempt(2), noop)).toMatchObject({ kind: "ingested", md5: md5("kept") });
    expect(copies()).toHaveLength(1);
  });
});
