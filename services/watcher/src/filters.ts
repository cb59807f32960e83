/**
 * What the watcher looks at: never the pipeline's own folders and files (library/, duplicates/,
 * rejected/, the SQLite file), even when they sit inside an inbox; not temporary, partial or
 * hidden names; only whitelisted extensions. Everything skipped but the pipeline's own is
 * counted, so nothing in an inbox is ignored silently.
 */
import path from "node:path";
import { CLOCK_PROBE_PREFIX, isInside } from "@booru/runtime";

/** `*` any run of characters except "/", `?` one character; matched against the base name. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`, "i");
}

/**
 * Why an entry is skipped. "own": the pipeline's own folder or file (not counted); "name": it
 * matches BOORU_IGNORE (temporary, partial, hidden: waited for until renamed); "extension":
 * not in BOORU_EXTENSIONS.
 */
export type Skip = "own" | "name" | "extension";

export interface EntryFilter {
  /** Why this folder is not walked, or undefined to walk it. */
  folder(abs: string): Skip | undefined;
  /** Why this file is not published, or undefined to publish it. */
  file(abs: string): Skip | undefined;
  /** Whether a temporary name for `file` exists beside it (`x.jpg.part` next to an empty `x.jpg`). */
  tempSiblings(file: string): string[];
}

export interface FilterOptions {
  ignore: string[];
  extensions: string[];
  /** Absolute paths (symlinks resolved) the watcher never enters or publishes: its own folders and files. */
  own?: string[];
}

export function createEntryFilter(opts: FilterOptions): EntryFilter {
  const patterns = opts.ignore.map(globToRegExp);
  const exts = new Set(opts.extensions.map((e) => e.toLowerCase().replace(/^\./, "")));
  const own = opts.own ?? [];
  // "*.part" and the like: a download writes x.jpg.part and renames it to x.jpg.
  const tempSuffixes = opts.ignore.filter((g) => /^\*\.[^*?/]+$/.test(g)).map((g) => g.slice(1));
  const ownPath = (abs: string) => path.basename(abs).startsWith(CLOCK_PROBE_PREFIX) || own.some((o) => isInside(o, abs));
  const ignoredName = (abs: string) => patterns.some((p) => p.test(path.basename(abs)));
  return {
    folder: (abs) => (ownPath(abs) ? "own" : ignoredName(abs) ? "name" : undefined),
    file(abs) {
      if (ownPath(abs)) return "own";
      if (ignoredName(abs)) return "name";
      return exts.size === 0 || exts.has(path.extname(abs).slice(1).toLowerCase()) ? undefined : "extension";
    },
    tempSiblings: (file) => tempSuffixes.map((suffix) => file + suffix),
  };
}
