/**
 * The folders a process works in, checked once at start before anything binds or starts: each
 * one exists (or is created), is a folder, and is readable, and writable where a module writes;
 * and no inbox overlaps another pipeline folder (the watcher would ingest its own output).
 */
import { constants } from "node:fs";
import { access, mkdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "./config.js";
import { isInside } from "./paths.js";

export interface FolderNeed {
  /** What it is, for messages: "inbox", "library", "SQLite file"... */
  role: string;
  path: string;
  /** The module creates, moves or deletes files there (else it only reads). */
  write: boolean;
  /** A file (the SQLite database), not a folder: its folder must be writable, the file (if any) a regular file. */
  file?: boolean;
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
const byThisUser = () => (process.getuid ? ` by this user (uid ${process.getuid()})` : "");

/** The path with symlinks resolved as far as it exists (the rest may not exist yet). */
export async function resolveExisting(p: string): Promise<string> {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(await realpath(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(p);
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

/**
 * Refuses an inbox that is, contains or lies inside another pipeline folder, or another inbox,
 * after resolving symlinks: the watcher would pick up the library, duplicates or rejected files
 * as new input.
 */
export async function checkOverlaps(inboxes: FolderNeed[], others: FolderNeed[]): Promise<void> {
  const resolved = async (f: FolderNeed) => ({ ...f, real: await resolveExisting(f.path) });
  const ins = await Promise.all(inboxes.map(resolved));
  const outs = await Promise.all(others.map(resolved));
  const describe = (f: FolderNeed) => `the ${f.role} ${f.path}`;
  const clash = (a: FolderNeed & { real: string }, b: FolderNeed & { real: string }) => {
    const relation = a.real === b.real ? "is the same folder as" : isInside(a.real, b.real) ? "contains" : isInside(b.real, a.real) ? "is inside" : "";
    if (!relation) return;
    throw new ConfigError(`${describe(a)} ${relation} ${describe(b)}: the watcher would take the pipeline's own files as new input; keep every inbox apart from the other folders (--inbox, --data, --library, --duplicates, --rejected, --sqlite)`);
  };
  for (const [i, a] of ins.entries()) {
    for (const b of ins.slice(i + 1)) clash(a, b);
    for (const b of outs) clash(a, b);
  }
}

/** The first part of `p` that exists, and what it is. */
async function firstExisting(p: string): Promise<{ at: string; isDir: boolean }> {
  for (let at = p; ; at = path.dirname(at)) {
    const st = await stat(at).catch(() => undefined);
    if (st) return { at, isDir: st.isDirectory() };
    if (path.dirname(at) === at) return { at, isDir: true };
  }
}

async function ensureFolder(role: string, dir: string): Promise<void> {
  const missing = (err: unknown) => ["ENOENT", "ENOTDIR"].includes(errno(err));
  const unusable = (err: unknown) =>
    new ConfigError(errno(err) === "EACCES" ? `the ${role} ${dir} cannot be reached${byThisUser()}: a folder above it is not searchable` : `the ${role} ${dir} cannot be used: ${errno(err)}`);
  const st = await stat(dir).catch((err: unknown) => (missing(err) ? undefined : Promise.reject(unusable(err))));
  if (st) {
    if (!st.isDirectory()) throw new ConfigError(`the ${role} ${dir} is a file, not a folder`);
    return;
  }
  const blocker = await firstExisting(dir);
  if (!blocker.isDir) throw new ConfigError(`the ${role} ${dir} cannot be created: ${blocker.at} is a file, not a folder`);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => Promise.reject(new ConfigError(`the ${role} ${dir} cannot be created: ${errno(err)}`)));
}

async function ensureAccess(role: string, p: string, write: boolean, isDir: boolean): Promise<void> {
  const who = byThisUser();
  const can = (mode: number) => access(p, mode).then(() => true, () => false);
  if (!(await can(constants.R_OK | (isDir ? constants.X_OK : 0)))) throw new ConfigError(`the ${role} ${p} is not readable${who}`);
  if (write && !(await can(constants.W_OK))) throw new ConfigError(`the ${role} ${p} is not writable${who}`);
}

/** Checks (and creates) every folder the selected modules use; the first problem stops the start. */
export async function checkFolders(needs: FolderNeed[]): Promise<void> {
  const merged = new Map<string, FolderNeed>();
  for (const n of needs) {
    const key = `${n.file ? "file" : "dir"}:${path.resolve(n.path)}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, write: seen.write || n.write } : n);
  }
  // Folders first: a problem with --data shows as the folder that cannot be made under it.
  for (const n of [...merged.values()].sort((a, b) => Number(Boolean(a.file)) - Number(Boolean(b.file)))) {
    if (!n.file) {
      await ensureFolder(n.role, n.path);
      await ensureAccess(n.role, n.path, n.write, true);
      continue;
    }
    const folder = path.dirname(n.path);
    await ensureFolder(`folder of the ${n.role}`, folder);
    // SQLite writes its journal beside the file.
    await ensureAccess(`folder of the ${n.role}`, folder, true, true);
    const st = await stat(n.path).catch(() => undefined);
    if (st && !st.isFile()) throw new ConfigError(`the ${n.role} ${n.path} is not a regular file`);
    if (st) await ensureAccess(n.role, n.path, n.write, false);
  }
}
