/**
 * Load: 10,000 small files dropped into the inbox at once. The queue drains, nothing is lost,
 * and every process's memory stays bounded (peak RSS is reported per process).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniquePng } from "../fuzz/encode.js";
import { libraryMd5, md5, metricSum, Pipeline, sleep, startServers } from "./pipeline.js";

const FILES = Number(process.env.BOORU_LOAD_FILES ?? 10_000);
const DUPES = Math.floor(FILES / 20);
// Generous: far above what a streaming watcher and bounded consumers need, far below "holds everything".
const RSS_LIMIT_MB = Number(process.env.BOORU_LOAD_RSS_LIMIT_MB ?? 400);
// A generous ceiling for the drain (8 files/s on a busy 2-core machine), not a speed assertion.
const DRAIN_MS = Math.max(300_000, FILES * 125);

describe("load", () => {
  let servers: Awaited<ReturnType<typeof startServers>> | undefined;
  let p: Pipeline;

  beforeAll(async () => {
    servers = await startServers();
    // The production rescan interval: the suite's fast 15 s one would have the watcher rescan (and,
    // past the 2-minute duplicate window, republish) the whole backlog every 15 s.
    p = await Pipeline.start({ natsUrl: servers.nats.url, mongoUrl: servers.ferret.url, hashers: 2, env: { BOORU_RESCAN_INTERVAL: "5m" } });
  });

  afterAll(async () => {
    await p?.stop();
    await servers?.stop();
  });

  it(`${FILES} small files at once: drained, nothing lost, memory bounded`, async () => {
    const unique = FILES - DUPES;
    const files = Array.from({ length: unique }, (_, i) => ({ name: `load-${i}.png`, bytes: uniquePng(100_000 + i) }));
    for (let i = 0; i < DUPES; i++) files.push({ name: `load-copy-${i}.png`, bytes: files[i * 13].bytes });
    const md5s = new Set(files.map((f) => md5(f.bytes)));
    const idle = p.peakRss();

    const started = Date.now();
    p.drop(files);
    const books = await p.waitForSettled(FILES, DRAIN_MS);
    const seconds = (Date.now() - started) / 1000;

    expect(p.deadProcesses()).toEqual([]);
    expect(books.reasons).toEqual([]);
    expect(books.library).toHaveLength(md5s.size);
    expect(new Set(books.library.map(libraryMd5))).toEqual(md5s);
    expect(books.duplicates).toHaveLength(FILES - md5s.size);
    expect(await p.catalogMd5s()).toHaveLength(md5s.size);

    // The queue drained: nothing pending or unacked on the durable consumer (the last acks may
    // still be on their way when the last file lands, hence the short wait).
    let lag = -1;
    for (let i = 0; i < 30 && lag !== 0; i++) {
      if (i > 0) await sleep(1000);
      const dedup = await p.role("dedup").metrics();
      lag = metricSum(dedup, "booru_queue_pending") + metricSum(dedup, "booru_queue_ack_pending");
    }
    expect(lag).toBe(0);

    const peak = p.peakRss();
    console.log(`load: ${FILES} files (${md5s.size} unique) in ${seconds.toFixed(1)} s = ${(FILES / seconds).toFixed(0)} files/s; peak RSS MB ${JSON.stringify(peak)} (idle ${JSON.stringify(idle)})`);
    for (const [name, mb] of Object.entries(peak)) expect(mb, `${name} peak RSS`).toBeLessThan(RSS_LIMIT_MB);
  }, DRAIN_MS + 120_000);
});
