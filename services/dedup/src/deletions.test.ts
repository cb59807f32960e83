import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ingestV1 } from "@booru/proto";
import { createLogger, openSqlite, type WorkMessage } from "@booru/runtime";
import { SqliteClaimsStore, type ClaimsStore } from "./claims/index.js";
import { Deletions } from "./deletions.js";
import type { DuplicatesPolicy } from "./ingest.js";

const log = createLogger("test", "silent");
const MD5 = "0123456789abcdef0123456789abcdef";
const REL = `01/23/${MD5}.png`;

function setup(duplicatesPolicy: DuplicatesPolicy = "move") {
  const root = mkdtempSync(path.join(tmpdir(), "deletions-"));
  const library = path.join(root, "library");
  const duplicates = path.join(root, "duplicates");
  mkdirSync(path.join(library, "01/23"), { recursive: true });
  writeFileSync(path.join(library, REL), "the original");
  const claims: ClaimsStore = new SqliteClaimsStore(openSqlite(":memory:"));
  return { library, duplicates, claims, deletions: new Deletions({ library, duplicates, duplicatesPolicy }, claims, log) };
}

async function doneClaim(claims: ClaimsStore) {
  await claims.tryClaim({ md5: MD5, sha256: "s".repeat(64), owner: "a", leaseUntil: Date.now() + 60_000, source: "in/x.png" });
  await claims.markDone(MD5, "a", REL);
}

const deleted = (reason: ingestV1.DeletionReason, extra: Partial<ingestV1.ImageDeleted> = {}) =>
  ingestV1.ImageDeleted.fromPartial({ md5: MD5, sha256: "s".repeat(64), libraryPath: REL, reason, atUnixMs: 1, ...extra });

function message(data: Uint8Array, deliveryCount = 1) {
  return { data, subject: "booru.deletions", deliveryCount, headers: {}, ack: vi.fn(async () => {}), nak: vi.fn(), working: vi.fn(), term: vi.fn() } satisfies WorkMessage;
}

describe("dedup applies a deleted image", () => {
  it("a user's delete tombstones the claim and removes the library file, once however often it comes", async () => {
    const { library, claims, deletions } = setup();
    await doneClaim(claims);
    expect(await deletions.apply(deleted(ingestV1.DeletionReason.USER))).toBe("removed");
    expect(existsSync(path.join(library, REL))).toBe(false);
    expect(await claims.get(MD5)).toMatchObject({ state: "tombstoned", sha256: "s".repeat(64) });
    expect(await deletions.apply(deleted(ingestV1.DeletionReason.USER))).toBe("gone");
    expect(await claims.get(MD5)).toMatchObject({ state: "tombstoned" });
  });

  it("tombstones an md5 it has no claim for (the claim store was reset, or the record came from elsewhere)", async () => {
    const { claims, deletions } = setup();
    await deletions.apply(deleted(ingestV1.DeletionReason.USER));
    expect(await claims.get(MD5)).toMatchObject({ state: "tombstoned" });
  });

  it("a near-duplicate drop moves the library file to duplicates/ by default, never destroying it", async () => {
    const { library, duplicates, claims, deletions } = setup();
    await doneClaim(claims);
    expect(await deletions.apply(deleted(ingestV1.DeletionReason.NEAR_DUPLICATE, { keeperMd5: "f".repeat(32) }))).toBe("moved");
    expect(existsSync(path.join(library, REL))).toBe(false);
    expect(readdirSync(duplicates).sort()).toEqual([`${MD5}.png`, `${MD5}.png.reason.json`]);
    expect(JSON.parse(readFileSync(path.join(duplicates, `${MD5}.png.reason.json`), "utf8"))).toMatchObject({ reason: "near-duplicate", md5: MD5, resembles: "f".repeat(32) });
    expect(await claims.get(MD5)).toMatchObject({ state: "tombstoned" });
    expect(await deletions.apply(deleted(ingestV1.DeletionReason.NEAR_DUPLICATE))).toBe("gone");
    expect(readdirSync(duplicates).sort()).toEqual([`${MD5}.png`, `${MD5}.png.reason.json`]);
  });

  it("a near-duplicate drop follows the keep and delete policies", async () => {
    const keep = setup("keep");
    expect(await keep.deletions.apply(deleted(ingestV1.DeletionReason.NEAR_DUPLICATE))).toBe("kept");
    expect(existsSync(path.join(keep.library, REL))).toBe(true);
    const del = setup("delete");
    expect(await del.deletions.apply(deleted(ingestV1.DeletionReason.NEAR_DUPLICATE))).toBe("removed");
    expect(existsSync(path.join(del.library, REL))).toBe(false);
  });

  it("leaves a file alone whose path leads outside the library", async () => {
    const { library, deletions } = setup();
    const outside = path.join(path.dirname(library), "precious.txt");
    writeFileSync(outside, "not the library's");
    expect(await deletions.apply(deleted(ingestV1.DeletionReason.USER, { libraryPath: "../precious.txt" }))).toBe("outside-library");
    expect(existsSync(outside)).toBe(true);
  });

  it("acks a handled deletion, drops a malformed one and retries a failed one later", async () => {
    const { library, claims, deletions } = setup();
    const handle = deletions.handler();
    const ok = message(ingestV1.ImageDeleted.encode(deleted(ingestV1.DeletionReason.USER)).finish());
    await handle(ok);
    expect(ok.ack).toHaveBeenCalled();
    expect(existsSync(path.join(library, REL))).toBe(false);

    const bad = message(ingestV1.ImageDeleted.encode(deleted(ingestV1.DeletionReason.USER, { md5: "../x" })).finish());
    await handle(bad);
    expect(bad.term).toHaveBeenCalled();

    vi.spyOn(claims, "tombstone").mockRejectedValueOnce(new Error("store down"));
    const failing = message(ingestV1.ImageDeleted.encode(deleted(ingestV1.DeletionReason.USER)).finish(), 2);
    await handle(failing);
    expect(failing.ack).not.toHaveBeenCalled();
    expect(failing.nak).toHaveBeenCalledWith(expect.any(Number));
  });
});
