import { appendFileSync, mkdirSync, mkdtempSync, renameSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dataPaths, parseConfig, commonSettings, type CommonConfig } from "@booru/runtime";
import { createEntryFilter, globToRegExp } from "./filters.js";
import { IgnoredEntries } from "./ignored.js";
import { scanInbox } from "./scan.js";
import { Settler, type FileFacts } from "./settle.js";
import { DEFAULT_EXTENSIONS, messageId, ownPaths, watcherSettings } from "./index.js";

const filter = createEntryFilter({ ignore: watcherSettings.ignore.default, extensions: DEFAULT_EXTENSIONS });

describe("entry filter", () => {
  it("skips temporary, partial and hidden names and extensions off the whitelist, saying why", () => {
    for (const name of ["a.jpg.part", "a.crdownload", "x.tmp", "y.jpg.!qB", "z.jpg.opdownload", "w.jpg.download", "~$doc.jpg", ".hidden.jpg"]) expect(filter.file(`/in/${name}`), name).toBe("name");
    for (const name of ["notes.txt", "noext"]) expect(filter.file(`/in/${name}`), name).toBe("extension");
    for (const name of ["a.jpg", "B.PNG", "c.webp", "d e (1).jpeg"]) expect(filter.file(`/in/${name}`), name).toBeUndefined();
    expect(filter.folder("/in/.git")).toBe("name");
    expect(filter.folder("/in/photos")).toBeUndefined();
    expect(globToRegExp("img-??.png").test("img-01.png")).toBe(true);
    expect(globToRegExp("img-??.png").test("img-001.png")).toBe(false);
  });

  it("never enters or publishes the pipeline's own folders and files, nor clock probes", () => {
    const own = createEntryFilter({ ignore: [], extensions: [], own: ["/in/library", "/in/booru.sqlite", "/in/booru.sqlite-wal"] });
    expect(own.folder("/in/library")).toBe("own");
    expect(own.file("/in/library/ab/cd/x.jpg")).toBe("own");
    expect(own.file("/in/booru.sqlite-wal")).toBe("own");
    expect(own.file("/in/.booru-clock-1-abcd")).toBe("own");
    expect(own.folder("/in/library-2")).toBeUndefined();
    expect(own.file("/in/booru.sqlite.jpg")).toBeUndefined();
  });

  it("names the temporary siblings a download writes beside its final name", () => {
    expect(filter.tempSiblings("/in/x.jpg")).toEqual(expect.arrayContaining(["/in/x.jpg.part", "/in/x.jpg.crdownload", "/in/x.jpg.!qB"]));
  });

  it("gives the same message id for the same inbox, path, size and mtime only", () => {
    const f = { size: 10, mtimeMs: 5, ctimeMs: 7 };
    expect(messageId("/in", "a.jpg", f)).toBe(messageId("/in", "a.jpg", { ...f }));
    // A new file at the path (it grew after being rejected, a new download): a new event.
    expect(messageId("/in", "a.jpg", f)).not.toBe(messageId("/in", "a.jpg", { ...f, mtimeMs: 6 }));
    expect(messageId("/in", "a.jpg", f)).not.toBe(messageId("/in", "a.jpg", { ...f, size: 11 }));
    // dedup's own hard link while it moves the file changes the ctime: not a new event.
    expect(messageId("/in", "a.jpg", f)).toBe(messageId("/in", "a.jpg", { ...f, ctimeMs: 8 }));
    expect(messageId("/in", "a.jpg", f)).not.toBe(messageId("/in2", "a.jpg", f));
  });
});

describe("scanInbox", () => {
  it("walks nested folders, skips hidden folders, never enters symlinked folders, and reports what it skips", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "scan-"));
    const outside = mkdtempSync(path.join(tmpdir(), "outside-"));
    writeFileSync(path.join(outside, "o.jpg"), "o");
    for (const d of ["a/b/c", ".trash", "d"]) mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ["1.jpg", "a/2.png", "a/b/c/3.gif", ".trash/4.jpg", "a/5.jpg.part", "d/6.txt"]) writeFileSync(path.join(root, f), f);
    symlinkSync(outside, path.join(root, "linkdir"));
    symlinkSync(path.join(outside, "o.jpg"), path.join(root, "link.jpg"));
    const seen: string[] = [];
    const skipped: string[] = [];
    const n = await scanInbox(root, filter, { onFile: async (f) => void seen.push(path.relative(root, f)), onSkip: (e, why) => void skipped.push(`${path.relative(root, e)}:${why}`) });
    expect(seen.sort()).toEqual(["1.jpg", "a/2.png", "a/b/c/3.gif", "link.jpg"]);
    expect(n).toBe(4);
    expect(skipped.sort()).toEqual([".trash:name", "a/5.jpg.part:name", "d/6.txt:extension", "linkdir:extension"]);
  });

  it("never descends into library/, duplicates/, rejected/ or the SQLite files inside an inbox, and does not count them", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "scan-own-"));
    for (const d of ["library/ab/cd", "duplicates/x", "rejected", "photos"]) mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ["library/ab/cd/abcd.jpg", "duplicates/x/dup.jpg", "rejected/bad.jpg", "booru.sqlite", "booru.sqlite-wal", "photos/new.jpg"]) writeFileSync(path.join(root, f), f);
    const own = ["library", "duplicates", "rejected", "booru.sqlite", "booru.sqlite-wal", "booru.sqlite-shm"].map((p) => path.join(root, p));
    const seen: string[] = [];
    const skipped: string[] = [];
    const ownFilter = createEntryFilter({ ignore: [], extensions: [], own });
    await scanInbox(root, ownFilter, { onFile: async (f) => void seen.push(path.relative(root, f)), onSkip: (e) => void skipped.push(e) });
    expect(seen).toEqual(["photos/new.jpg"]);
    expect(skipped).toEqual([]);
  });
});

describe("ownPaths", () => {
  const config = (env: Record<string, string>): CommonConfig => parseConfig(commonSettings, new Map(), env) as CommonConfig;

  it("resolves symlinks, folders not made yet, and the pipeline's folders as seen through an inbox's own path", async () => {
    const base = mkdtempSync(path.join(tmpdir(), "own-"));
    const data = path.join(base, "data");
    mkdirSync(path.join(data, "inbox"), { recursive: true });
    // The inbox is reached through a link, and rejected/ (not created yet) lies inside it.
    symlinkSync(path.join(data, "inbox"), path.join(base, "inbox-link"));
    const paths = dataPaths(config({ BOORU_DATA: data, BOORU_INBOX: path.join(base, "inbox-link"), BOORU_REJECTED: path.join(data, "inbox", "rejected") }));
    const own = await ownPaths(paths, paths.inboxes);
    expect(own).toEqual(expect.arrayContaining([path.join(data, "library"), path.join(data, "booru.sqlite-wal"), path.join(data, "inbox", "rejected"), path.join(base, "inbox-link", "rejected")]));
    const f = createEntryFilter({ ignore: [], extensions: [], own });
    expect(f.folder(path.join(base, "inbox-link", "rejected"))).toBe("own");
  });
});

describe("Settler", () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] }));
  afterEach(() => void vi.useRealTimers());

  function settler(root: string, over: { fileNow?: () => Promise<number> } = {}) {
    const published: [string, FileFacts][] = [];
    const s = new Settler({
      settleMs: 300,
      fileNow: over.fileNow ?? (async () => Date.now()),
      tempSiblings: filter.tempSiblings,
      onSettled: async (f, facts) => void published.push([path.basename(f), facts]),
      onError: () => {},
    });
    return { s, published, names: () => published.map((p) => p[0]) };
  }

  /** Advances the fake clock and lets the real file checks that the timers start finish. */
  async function advance(ms: number) {
    await vi.advanceTimersByTimeAsync(ms);
  }

  it("publishes an old file at once and a growing file only after it stops changing", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "settle-"));
    const { s, published, names } = settler(root);
    const old = path.join(root, "old.jpg");
    writeFileSync(old, "old");
    utimesSync(old, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await s.touch(old);
    expect(names()).toEqual(["old.jpg"]);

    const growing = path.join(root, "growing.jpg");
    writeFileSync(growing, "a");
    utimesSync(growing, new Date(Date.now()), new Date(Date.now()));
    await s.touch(growing);
    for (let i = 1; i <= 4; i++) {
      await advance(150);
      appendFileSync(growing, "more");
      // Each write moves the mtime on (a real clock would too).
      utimesSync(growing, new Date(Date.now() + i), new Date(Date.now() + i));
      await s.touch(growing);
    }
    expect(names()).toEqual(["old.jpg"]);
    await vi.waitFor(async () => {
      await advance(100);
      expect(names()).toEqual(["old.jpg", "growing.jpg"]);
    });
    expect(published[1]![1].size).toBe(1 + 4 * 4);
    s.close();
  });

  it("judges 'old' by the file server's clock: a share whose clock is behind cannot skip the settle time", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "settle-skew-"));
    // The share's clock is 10 minutes behind this machine: a file written there just now has an mtime 10 minutes ago.
    const behind = 10 * 60_000;
    const { s, names } = settler(root, { fileNow: async () => Date.now() - behind });
    const file = path.join(root, "copying.jpg");
    writeFileSync(file, "first half");
    utimesSync(file, new Date(Date.now() - behind), new Date(Date.now() - behind));
    await s.touch(file);
    expect(names()).toEqual([]);
    await vi.waitFor(async () => {
      await advance(100);
      expect(names()).toEqual(["copying.jpg"]);
    });
    s.close();
  });

  it("waits for an empty file while its download's temporary sibling exists (a browser's placeholder)", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "settle-part-"));
    const { s, names } = settler(root);
    const final = path.join(root, "photo.jpg");
    writeFileSync(final, "");
    writeFileSync(final + ".part", "half of the bytes");
    utimesSync(final, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await s.touch(final);
    await advance(1000);
    expect(names()).toEqual([]);
    // The download finishes: the .part file is renamed over the placeholder.
    renameSync(final + ".part", final);
    await s.touch(final);
    await vi.waitFor(async () => {
      await advance(100);
      expect(names()).toEqual(["photo.jpg"]);
    });
    expect(statSync(final).size).toBeGreaterThan(0);
    s.close();
  });

  it("forgets a file that went away before it settled", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "settle-gone-"));
    const { s, names } = settler(root);
    const file = path.join(root, "gone.jpg");
    writeFileSync(file, "x");
    utimesSync(file, new Date(Date.now()), new Date(Date.now()));
    await s.touch(file);
    expect(s.size).toBe(1);
    unlinkSync(file);
    await vi.waitFor(async () => {
      await advance(100);
      expect(s.size).toBe(0);
    });
    expect(names()).toEqual([]);
    s.close();
  });
});

describe("IgnoredEntries", () => {
  it("counts by why, follows events, and takes a full scan's view over its own", () => {
    let changes = 0;
    const ignored = new IgnoredEntries(() => changes++);
    ignored.note("/in/a.part", "name");
    ignored.note("/in/a.part", "name");
    ignored.note("/in/notes.txt", "extension");
    expect(ignored.counts()).toEqual({ name: 1, extension: 1 });
    expect(changes).toBe(2);
    ignored.gone("/in/a.part");
    expect(ignored.counts()).toEqual({ extension: 1 });
    ignored.beginScan();
    ignored.note("/in/b.tmp", "name");
    ignored.endScan();
    expect(ignored.counts()).toEqual({ name: 1 });
    // A scan that finds the same again changes nothing (no report on every poll).
    const before = changes;
    ignored.beginScan();
    ignored.note("/in/b.tmp", "name");
    ignored.endScan();
    expect(changes).toBe(before);
  });

  it("remembers at most its cap of paths and still counts the rest from a scan", () => {
    const ignored = new IgnoredEntries(() => {}, 2);
    ignored.beginScan();
    for (let i = 0; i < 5; i++) ignored.note(`/in/${i}.txt`, "extension");
    ignored.endScan();
    expect(ignored.counts()).toEqual({ extension: 5 });
  });
});
