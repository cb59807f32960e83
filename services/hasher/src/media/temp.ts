/**
 * The hasher's temporary files: large inputs and videos are received into a file here (never
 * under a name from the file or an archive entry). Each process owns one folder,
 * `<root>/booru-hasher/<pid>-<start time>`; at start, the folders of processes that are gone
 * (a crash, a kill -9) are removed, after killing any ffmpeg still reading from them. The start
 * time in the name keeps a reused pid from passing for the dead owner, so a live process's
 * folder is never touched.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, open, readdir, rm, rmdir } from "node:fs/promises";
import path from "node:path";

const OWNER = /^(\d+)-(\d+)$/;

/** A process's start time in clock ticks since boot (Linux), or 0 where /proc has none. */
export function startTimeOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && process.platform === "linux") return undefined;
    return isAlive(pid) ? 0 : undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The folder name of this process. */
function ownName(): string {
  return `${process.pid}-${startTimeOf(process.pid) ?? 0}`;
}

/** Whether the process that named a folder `<pid>-<start>` is still running. */
function ownerAlive(name: string): boolean {
  const m = OWNER.exec(name);
  if (!m) return true; // not ours: leave it alone
  const start = startTimeOf(Number(m[1]));
  return start !== undefined && (start === 0 || start === Number(m[2]));
}

/** Kills (SIGKILL) the processes whose arguments name a path inside `dir`: ffmpeg left by a dead hasher. */
export function killReaders(dir: string): number {
  if (process.platform !== "linux") return 0;
  let killed = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv.some((a) => a.startsWith(dir + path.sep))) continue;
    try {
      process.kill(Number(entry), "SIGKILL");
      killed++;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

export class TempSpace {
  private next = 0;

  private constructor(readonly dir: string) {}

  /** Creates this process's folder under `<root>/booru-hasher`, after removing those of dead processes. */
  static async open(root: string): Promise<{ space: TempSpace; removed: string[] }> {
    const base = path.join(root, "booru-hasher");
    await mkdir(base, { recursive: true, mode: 0o700 });
    const removed: string[] = [];
    const mine = ownName();
    for (const name of await readdir(base)) {
      if (name === mine || ownerAlive(name)) continue;
      const dir = path.join(base, name);
      killReaders(dir);
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
    // Several hasher modules in one process (tests) share the folder; each file name is unique.
    const dir = path.join(base, mine);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return { space: new TempSpace(dir), removed };
  }

  /** A new file path in this process's folder (not created). */
  newPath(suffix = ""): string {
    return path.join(this.dir, `${Date.now().toString(36)}-${(this.next++).toString(36)}${suffix}`);
  }

  /** Writes bytes to a new file; for a decoder that needs a path. */
  async write(bytes: Buffer): Promise<string> {
    const p = this.newPath();
    const fh = await open(p, "wx", 0o600);
    try {
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
    return p;
  }

  async remove(p: string): Promise<void> {
    await rm(p, { force: true });
  }

  /** Files currently in this process's folder. */
  async files(): Promise<string[]> {
    return readdir(this.dir).catch(() => []);
  }

  /** Removes the folder when empty (another hasher module of this process may still use it). */
  async close(): Promise<void> {
    await rmdir(this.dir).catch(() => undefined);
  }
}
