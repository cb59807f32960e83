import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { checkFolders, checkOverlaps, type FolderNeed } from "./folders.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "folders-"));
});
const at = (...p: string[]) => path.join(root, ...p);
const inbox = (p: string): FolderNeed => ({ role: "inbox", path: p, write: false });
const pipeline = (data: string): FolderNeed[] => [
  { role: "library", path: path.join(data, "library"), write: true },
  { role: "duplicates folder", path: path.join(data, "duplicates"), write: true },
  { role: "rejected folder", path: path.join(data, "rejected"), write: true },
  { role: "SQLite file", path: path.join(data, "booru.sqlite"), write: true, file: true },
];

describe("inboxes overlapping the pipeline's folders", () => {
  it("refuses an inbox that is the data folder (it contains library/, duplicates/, ...)", async () => {
    await expect(checkOverlaps([inbox(at("x"))], pipeline(at("x")))).rejects.toThrow(`the inbox ${at("x")} contains the library ${at("x", "library")}`);
  });

  it("refuses either direction and the same folder", async () => {
    await expect(checkOverlaps([inbox(at("d", "library", "in"))], pipeline(at("d")))).rejects.toThrow(/is inside the library/);
    await expect(checkOverlaps([inbox(at("d", "rejected"))], pipeline(at("d")))).rejects.toThrow(/is the same folder as the rejected folder/);
    await expect(checkOverlaps([inbox(at("d"))], [{ role: "SQLite file", path: at("d", "booru.sqlite"), write: true, file: true }])).rejects.toThrow(/contains the SQLite file/);
  });

  it("refuses two inboxes inside each other", async () => {
    await expect(checkOverlaps([inbox(at("a")), inbox(at("a", "b"))], pipeline(at("d")))).rejects.toThrow(`the inbox ${at("a")} contains the inbox ${at("a", "b")}`);
  });

  it("sees through symlinks, also to folders that do not exist yet", async () => {
    mkdirSync(at("store"));
    symlinkSync(at("store"), at("link"));
    await expect(checkOverlaps([inbox(at("link", "incoming"))], pipeline(at("store", "incoming")))).rejects.toThrow(/is the same folder as the library|contains the library/);
    await expect(checkOverlaps([inbox(at("link"))], [{ role: "library", path: at("store", "library"), write: true }])).rejects.toThrow(/contains the library/);
  });

  it("accepts folders side by side, also with similar names", async () => {
    await expect(checkOverlaps([inbox(at("inbox")), inbox(at("inbox2"))], pipeline(at("data")))).resolves.toBeUndefined();
    await expect(checkOverlaps([inbox(at("lib"))], [{ role: "library", path: at("library"), write: true }])).resolves.toBeUndefined();
  });
});

describe("folders checked at start", () => {
  it("creates missing folders and the SQLite file's folder, not the file", async () => {
    await checkFolders([inbox(at("data", "inbox")), ...pipeline(at("data"))]);
    for (const d of ["inbox", "library", "duplicates", "rejected"]) expect(existsSync(at("data", d))).toBe(true);
    expect(existsSync(at("data", "booru.sqlite"))).toBe(false);
  });

  it("says so when the data folder is a file", async () => {
    writeFileSync(at("data"), "");
    await expect(checkFolders(pipeline(at("data")))).rejects.toThrow(`the library ${at("data", "library")} cannot be created: ${at("data")} is a file, not a folder`);
  });

  it("says so when a folder is a file, or the SQLite file is a folder", async () => {
    mkdirSync(at("d"));
    writeFileSync(at("d", "inbox"), "");
    await expect(checkFolders([inbox(at("d", "inbox"))])).rejects.toThrow(`the inbox ${at("d", "inbox")} is a file, not a folder`);
    mkdirSync(at("d", "booru.sqlite"));
    await expect(checkFolders([{ role: "SQLite file", path: at("d", "booru.sqlite"), write: true, file: true }])).rejects.toThrow(/is not a regular file/);
  });
});
