/**
 * Fuzz, fast and in-process: every case of the malformed-input corpus through the hasher's local
 * API (the same HashService the gRPC server runs). Each one answers with hashes or with a
 * reason code a client can act on, in bounded time, and the process survives all of them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashLocalFile } from "@booru/hasher";
import { Reason, reasonName, reasonOf } from "@booru/runtime";
import { generateCorpus, writeCorpus, type FuzzCase } from "../fuzz/corpus.js";

/** What the hasher may answer about a file (the rest of the enum is dedup's: collisions, retries, paths). */
const REASONS = new Set([
  ...[Reason.CORRUPT, Reason.TRUNCATED, Reason.UNSUPPORTED, Reason.TOO_MANY_PIXELS, Reason.TOO_LARGE],
  ...[Reason.TOO_LONG, Reason.TOO_MANY_FRAMES, Reason.UNSUPPORTED_CODEC, Reason.ARCHIVE_BOMB, Reason.ENCRYPTED, Reason.UNSAFE_PATH],
]);

describe("fuzz corpus through hashLocalFile", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "booru-fuzz-"));
  let cases: FuzzCase[];
  let files: string[];

  beforeAll(async () => {
    cases = await generateCorpus();
    files = writeCorpus(dir, cases);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every case is hashed or refused with a reason code", async () => {
    const outcomes: Record<string, string> = {};
    const problems: string[] = [];
    let slowest = { name: "", ms: 0 };
    for (const [i, c] of cases.entries()) {
      const started = performance.now();
      try {
        const res = await hashLocalFile(files[i], { thumbnail: true });
        outcomes[c.name] = "ok";
        if (c.mustReject) problems.push(`${c.name}: hashed (${res.info?.format} ${res.info?.width}x${res.info?.height}) but no decoder should accept it`);
        if (!/^[0-9a-f]{16}$/.test(res.hashes?.phash64 ?? "")) problems.push(`${c.name}: hashed without a phash64`);
      } catch (err) {
        const reason = reasonOf(err);
        outcomes[c.name] = reason ? reasonName(reason) : "no-reason";
        if (!reason || !REASONS.has(reason)) problems.push(`${c.name}: failed without a reason code: ${(err as Error).message}`);
      }
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { name: c.name, ms };
    }
    const counts: Record<string, number> = {};
    for (const o of Object.values(outcomes)) counts[o] = (counts[o] ?? 0) + 1;
    console.log(`fuzz (hasher): ${cases.length} cases: ${JSON.stringify(counts)}; slowest ${slowest.name} ${slowest.ms.toFixed(0)} ms; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);
    expect(problems).toEqual([]);
    // The limits are enforced, not just survived: the pixel bombs are refused as such.
    for (const name of ["huge-png-65535.png", "huge-jpeg-65500.jpg", "png-bomb-30000.png"]) expect(outcomes[name], name).toBe("too-many-pixels");
    // A file cut short is told apart from a damaged one (dedup waits for the first, while it may still be written).
    const cuts = cases.filter((c) => /-cut-/.test(c.name) && outcomes[c.name] !== "ok");
    expect(cuts.length).toBeGreaterThan(40);
    for (const c of cuts) expect(outcomes[c.name], c.name).toBe("truncated");
  });
});
