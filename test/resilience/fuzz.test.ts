/**
 * Fuzz: the malformed-input corpus (test/fuzz/corpus.ts) through the whole distributed pipeline.
 * Every file must end up ingested, or rejected with a reason file; no process may crash, and the
 * pipeline still ingests a good file afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCorpus, type FuzzCase } from "../fuzz/corpus.js";
import { uniquePng } from "../fuzz/encode.js";
import { libraryMd5, md5, Pipeline, startServers } from "./pipeline.js";

describe("fuzz corpus through the pipeline", () => {
  let servers: Awaited<ReturnType<typeof startServers>> | undefined;
  let p: Pipeline;
  let cases: FuzzCase[];

  beforeAll(async () => {
    cases = await generateCorpus();
    servers = await startServers();
    p = await Pipeline.start({ natsUrl: servers.nats.url, mongoUrl: servers.ferret.url, hashers: 2 });
  });

  afterAll(async () => {
    await p?.stop();
    await servers?.stop();
  });

  it("every malformed file is ingested or rejected with a reason, and nothing crashes", async () => {
    p.drop(cases.map(({ name, bytes }) => ({ name, bytes })));
    const books = await p.waitForSettled(cases.length, 300_000);
    expect(p.deadProcesses()).toEqual([]);

    // Each rejected file has its reason file, naming a reason.
    expect(books.reasons).toHaveLength(books.rejected.length);
    for (const r of books.reasons) expect(r.reason, JSON.stringify(r)).toMatch(/^[a-z][a-z0-9-]*$/);
    const rejected = new Map(books.reasons.map((r) => [String(r.source), String(r.reason)]));

    const library = new Set(books.library.map(libraryMd5));
    const wronglyIngested = cases.filter((c) => c.mustReject && !rejected.has(c.name)).map((c) => c.name);
    expect(wronglyIngested, "files no decoder can accept must be rejected").toEqual([]);
    // Not rejected means in the library (or a duplicate of something that is).
    const lost = cases.filter((c) => !rejected.has(c.name) && !library.has(md5(c.bytes))).map((c) => c.name);
    expect(lost).toEqual([]);
    expect(books.library.length + books.duplicates.length + books.rejected.length).toBe(cases.length);
    expect((await p.catalogMd5s()).sort()).toEqual([...library].sort());

    const byReason: Record<string, number> = {};
    for (const reason of rejected.values()) byReason[reason] = (byReason[reason] ?? 0) + 1;
    console.log(`fuzz: ${cases.length} files: ${books.library.length} ingested, ${books.duplicates.length} duplicates, rejected ${JSON.stringify(byReason)}; peak RSS MB ${JSON.stringify(p.peakRss())}`);

    // Still healthy: a good file goes through.
    const good = uniquePng(424242, 32);
    p.drop([{ name: "after-fuzz.png", bytes: good }]);
    const after = await p.waitForSettled(cases.length + 1, 60_000);
    expect(after.library.map(libraryMd5)).toContain(md5(good));
    expect(p.deadProcesses()).toEqual([]);
  });
});
