/** Which names the watcher publishes: not temp/partial/hidden, and with a whitelisted extension. */
import path from "node:path";

/** `*` any run of characters except "/", `?` one character; matched against the base name. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`, "i");
}

export interface NameFilter {
  /** A folder or file name that is never looked into or published. */
  ignoredName(name: string): boolean;
  /** A file that may be published (not ignored, extension whitelisted). */
  wanted(file: string): boolean;
}

export function createNameFilter(ignore: string[], extensions: string[]): NameFilter {
  const patterns = ignore.map(globToRegExp);
  const exts = new Set(extensions.map((e) => e.toLowerCase().replace(/^\./, "")));
  const ignoredName = (name: string) => patterns.some((p) => p.test(name));
  return {
    ignoredName,
    wanted(file) {
      const name = path.basename(file);
      if (ignoredName(name)) return false;
      return exts.size === 0 || exts.has(path.extname(name).slice(1).toLowerCase());
    },
  };
}
