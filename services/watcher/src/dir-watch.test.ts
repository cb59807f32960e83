import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DirWatcher } from "./dir-watch.js";
import { createEntryFilter } from "./filters.js";

const filter = createEntryFilter({ ignore: ["*.part", ".*"], extensions: ["jpg", "png"] });
let w: DirWatcher | undefined;
afterEach(() => w?.close());

function watch(root: string, f = filter) {
  const seen: string[] = [];
  const skipped: string[] = [];
  const gone: string[] = [];
  w = new DirWatcher(root, f, {
    onFile: (file) => seen.push(path.relative(root, file)),
    onSkip: (entry, why) => skipped.push(`${path.relative(root, entry)}:${why}`),
    onGone: (entry) => gone.push(path.relative(root, entry)),
    onError: () => {},
  });
  return { w, seen, skipped, gone };
}

describe("DirWatcher", () => {
  it("reports files in existing and newly created folders, once per event, never entering symlinked folders", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "dirwatch-"));
    const outside = mkdtempSync(path.join(tmpdir(), "dirwatch-out-"));
    mkdirSync(path.join(root, "old"));
    const { w, seen, skipped } = watch(root);
    await w.start();
    expect(w.folderCount).toBe(2);

    writeFileSync(path.join(root, "a.jpg"), "a");
    writeFileSync(path.join(root, "old", "b.png"), "b");
    writeFileSync(path.join(root, "c.jpg.part"), "partial");
    writeFileSync(path.join(root, "notes.txt"), "t");
    // A folder that arrives with files already inside (moved in, or created before its watch).
    mkdirSync(path.join(root, "new", "deeper"), { recursive: true });
    writeFileSync(path.join(root, "new", "deeper", "d.jpg"), "d");
    await vi.waitFor(() => expect(seen).toContain(path.join("new", "deeper", "d.jpg")), { timeout: 5000 });
    writeFileSync(path.join(outside, "secret.jpg"), "s");
    symlinkSync(outside, path.join(root, "link"));
    writeFileSync(path.join(root, "new", "deeper", "e.jpg"), "e");
    // The last event written: once it is seen, the ones before it have been handled too.
    await vi.waitFor(() => expect(seen).toContain(path.join("new", "deeper", "e.jpg")), { timeout: 5000 });
    await vi.waitFor(() => expect(skipped).toEqual(expect.arrayContaining(["c.jpg.part:name", "notes.txt:extension", "link:extension"])), { timeout: 5000 });
    expect([...new Set(seen)].sort()).toEqual(["a.jpg", path.join("new", "deeper", "d.jpg"), path.join("new", "deeper", "e.jpg"), path.join("old", "b.png")].sort());
    expect(w.folderCount).toBe(4);
  });

  it("never watches or reports the pipeline's own folders, even when they are created inside the inbox later", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "dirwatch-own-"));
    const own = ["library", "duplicates", "rejected", "booru.sqlite", "booru.sqlite-wal"].map((p) => path.join(root, p));
    const { w, seen, skipped } = watch(root, createEntryFilter({ ignore: [], extensions: [], own }));
    await w.start();
    mkdirSync(path.join(root, "library", "ab", "cd"), { recursive: true });
    writeFileSync(path.join(root, "library", "ab", "cd", "abcd.jpg"), "filed");
    mkdirSync(path.join(root, "duplicates"));
    writeFileSync(path.join(root, "duplicates", "dup.jpg"), "dup");
    writeFileSync(path.join(root, "booru.sqlite-wal"), "wal");
    writeFileSync(path.join(root, "last.jpg"), "last");
    await vi.waitFor(() => expect(seen).toContain("last.jpg"), { timeout: 5000 });
    expect([...new Set(seen)]).toEqual(["last.jpg"]);
    expect(skipped).toEqual([]);
    expect(w.folderCount).toBe(1);
  });

  it("reports a temporary file gone when it is renamed to its final name, and the final name as a file", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "dirwatch-rename-"));
    writeFileSync(path.join(root, "x.jpg.part"), "x");
    const { w, seen, gone } = watch(root);
    await w.start();
    renameSync(path.join(root, "x.jpg.part"), path.join(root, "x.jpg"));
    await vi.waitFor(() => expect(seen).toContain("x.jpg"), { timeout: 5000 });
    await vi.waitFor(() => expect(gone).toContain("x.jpg.part"), { timeout: 5000 });
  });
});
