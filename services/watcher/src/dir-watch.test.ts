import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DirWatcher } from "./dir-watch.js";
import { createNameFilter } from "./filters.js";

const filter = createNameFilter(["*.part", ".*"], ["jpg", "png"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let w: DirWatcher | undefined;
afterEach(() => w?.close());

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

describe("DirWatcher", () => {
  it("reports files in existing and newly created folders, once per event, never entering symlinked folders", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "dirwatch-"));
    const outside = mkdtempSync(path.join(tmpdir(), "dirwatch-out-"));
    mkdirSync(path.join(root, "old"));
    const seen: string[] = [];
    w = new DirWatcher(root, filter, { onFile: (f) => seen.push(path.relative(root, f)), onError: () => {} });
    await w.start();
    expect(w.folderCount).toBe(2);

    writeFileSync(path.join(root, "a.jpg"), "a");
    writeFileSync(path.join(root, "old", "b.png"), "b");
    writeFileSync(path.join(root, "c.jpg.part"), "partial");
    writeFileSync(path.join(root, "notes.txt"), "t");
    // A folder that arrives with files already inside (moved in, or created before its watch).
    mkdirSync(path.join(root, "new", "deeper"), { recursive: true });
    writeFileSync(path.join(root, "new", "deeper", "d.jpg"), "d");
    await until(() => seen.includes(path.join("new", "deeper", "d.jpg")));
    writeFileSync(path.join(root, "new", "deeper", "e.jpg"), "e");
    writeFileSync(path.join(outside, "secret.jpg"), "s");
    symlinkSync(outside, path.join(root, "link"));
    await until(() => seen.includes(path.join("new", "deeper", "e.jpg")));
    await sleep(300);
    const unique = [...new Set(seen)].sort();
    expect(unique).toEqual(["a.jpg", path.join("new", "deeper", "d.jpg"), path.join("new", "deeper", "e.jpg"), path.join("old", "b.png")].sort());
    expect(w.folderCount).toBe(4);
  });
});
