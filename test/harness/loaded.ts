/** What a fresh Node process loads when it imports a module: for "a client loads no server code" tests. */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO } from "./booru.js";

export interface Loaded {
  /** Every module URL resolved by an import (ESM imports, and CommonJS packages imported from ESM). */
  urls: string[];
  /** Native libraries in the process (sharp's libvips, better-sqlite3's addon, ...). */
  sharedObjects: string[];
}

/** Imports `specifier` (the compiled code: run `tsc -b` first) in a new `node` started in the repository. */
export async function loadedBy(specifier: string): Promise<Loaded> {
  const dir = await mkdtemp(path.join(tmpdir(), "loaded-"));
  const out = path.join(dir, "urls");
  try {
    const script = `await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(process.report.getReport().sharedObjects));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", path.join(REPO, "test/harness/loaded-register.mjs"), "--input-type=module", "-e", script], {
      cwd: REPO,
      env: { ...process.env, BOORU_LOADED_OUT: out },
      timeout: 60_000,
    });
    const urls = (await readFile(out, "utf8").catch(() => "")).split("\n").filter(Boolean);
    return { urls, sharedObjects: JSON.parse(stdout.trim().split("\n").at(-1)!) as string[] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The npm packages (and workspace packages, by folder) among the loaded modules. */
export function packagesIn(loaded: Loaded): Set<string> {
  const names = new Set<string>();
  for (const url of [...loaded.urls, ...loaded.sharedObjects]) {
    const npm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (npm) names.add(npm[1]!);
    const workspace = /\/(services|packages)\/([^/]+)\/dist\//.exec(url);
    if (workspace) names.add(`${workspace[1]}/${workspace[2]}`);
  }
  return names;
}
