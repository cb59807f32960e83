import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createNameFilter, globToRegExp } from "./filters.js";
import { scanInbox } from "./scan.js";
import { Settler, type FileFacts } from "./settle.js";
import { DEFAULT_EXTENSIONS, messageId, watcherSettings } from "./index.js";

const filter = createNameFilter(watcherSettings.ignore.default, DEFAULT_EXTENSIONS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("name filter", () => {
  it("skips temp, partial and hidden names and extensions off the whitelist", () => {
    for (const name of ["a.jpg.part", "a.crdownload", "x.tmp", ".hidden.jpg", "notes.txt", "noext"]) expect(filter.wanted(`/in/${name}`)).toBe(false);
    for (const name of ["a.jpg", "B.PNG", "c.webp", "d e (1).jpeg"]) expect(filter.wanted(`/in/${name}`)).toBe(true);
    expect(filter.ignoredName(".git")).toBe(true);
    expect(globToRegExp("img-??.png").test("img-01.png")).toBe(true);
    expect(globToRegExp("img-??.png").test("img-001.png")).toBe(false);
  });

  it("gives the same message id for the same inbox, path, size and mtime only", () => {
    const f = { size: 10, mtimeMs: 5 };
    expect(messageId("/in", "a.jpg", f)).toBe(messageId("/in", "a.jpg", { ...f }));
    expect(messageId("/in", "a.jpg", f)).not.toBe(messageId("/in", "a.jpg", { size: 10, mtimeMs: 6 }));
    expect(messageId("/in", "a.jpg", f)).not.toBe(messageId("/in2", "a.jpg", f));
  });
});

describe("scanInbox", () => {
  it("walks nested folders, skips hidden folders and never enters symlinked folders", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "scan-"));
    const outside = mkdtempSync(path.join(tmpdir(), "outside-"));
    writeFileSync(path.join(outside, "o.jpg"), "o");
    for (const d of ["a/b/c", ".trash", "d"]) mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ["1.jpg", "a/2.png", "a/b/c/3.gif", ".trash/4.jpg", "a/5.jpg.part", "d/6.txt"]) writeFileSync(path.join(root, f), f);
    symlinkSync(outside, path.join(root, "linkdir"));
    symlinkSync(path.join(outside, "o.jpg"), path.join(root, "link.jpg"));
    const seen: string[] = [];
    const n = await scanInbox(root, filter, async (f) => void seen.push(path.relative(root, f)));
    expect(seen.sort()).toEqual(["1.jpg", "a/2.png", "a/b/c/3.gif", "link.jpg"]);
    expect(n).toBe(4);
  });
});

describe("Settler", () => {
  it("publishes an old file at once and a growing file only after it stops changing", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "settle-"));
    const published: [string, FileFacts][] = [];
    const settler = new Settler(300, async (f, facts) => void published.push([path.basename(f), facts]), () => {});
    const old = path.join(root, "old.jpg");
    writeFileSync(old, "old");
    utimesSync(old, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await settler.touch(old);
    expect(published.map((p) => p[0])).toEqual(["old.jpg"]);

    const growing = path.join(root, "growing.jpg");
    writeFileSync(growing, "a");
    await settler.touch(growing);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      appendFileSync(growing, "more");
    }
    expect(published).toHaveLength(1);
    await sleep(700);
    expect(published.map((p) => p[0])).toEqual(["old.jpg", "growing.jpg"]);
    expect(published[1]![1].size).toBe(1 + 4 * 4);
    settler.close();
  });
});
