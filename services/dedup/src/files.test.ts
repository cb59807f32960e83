import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { candidateName, fileIntoLibrary, libraryExt, libraryRelPath } from "./files.js";

describe("library files", () => {
  it("replaces what a crashed attempt left half-written, leaving only the finished file", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "lib-"));
    const rel = libraryRelPath("0123456789abcdef0123456789abcdef", "jpg");
    expect(rel).toBe("01/23/0123456789abcdef0123456789abcdef.jpg");
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel + ".partial"), "half");
    const src = path.join(root, "src.jpg");
    writeFileSync(src, "the whole file");
    await fileIntoLibrary(root, rel, src, undefined, 14);
    expect(readFileSync(path.join(root, rel), "utf8")).toBe("the whole file");
    expect(readdirSync(path.dirname(path.join(root, rel)))).toEqual([path.basename(rel)]);
    // Again (a redelivery): kept as it is.
    await fileIntoLibrary(root, rel, src, Buffer.from("the whole file"), 14);
    expect(existsSync(path.join(root, rel + ".partial"))).toBe(false);
  });

  it("names extensions from the decoded format and numbers clashing names", () => {
    expect(libraryExt("jpeg", "x.png")).toBe("jpg");
    expect(libraryExt("", "x.PNG")).toBe("png");
    expect(libraryExt("", "noext")).toBe("bin");
    // The new kinds: the hasher's format names the extension; a cbz stays a cbz.
    for (const [format, name, ext] of [["mp4", "a.MP4", "mp4"], ["webm", "a.webm", "webm"], ["mkv", "a.mkv", "mkv"], ["mov", "a.mov", "mov"], ["avi", "a.avi", "avi"], ["zip", "a.zip", "zip"], ["zip", "Vol 1.CBZ", "cbz"], ["ugoira", "12345_ugoira.zip", "zip"], ["bmp", "a.bmp", "bmp"], ["heic", "IMG_1.HEIC", "heic"], ["jxl", "a.jxl", "jxl"], ["mp4", "a.m4v", "m4v"], ["zip", "trick.cbz.exe", "zip"]]) {
      expect(libraryExt(format!, name!), name).toBe(ext);
    }
    expect(candidateName("a/b.jpg", 0)).toBe("a/b.jpg");
    expect(candidateName("a/b.jpg", 2)).toBe("a/b (2).jpg");
    expect(candidateName("a/noext", 1)).toBe("a/noext (1)");
  });
});
