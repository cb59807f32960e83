#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.mjs; with no name, lists them.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(dir).filter((f) => f.endsWith(".mjs") && f !== "run.mjs" && !f.startsWith("_")).map((f) => f.replace(/\.mjs$/, ""));
const [name, ...args] = process.argv.slice(2);
if (!name || !benches.includes(name)) {
  console.error(`usage: npm run bench -- <${benches.join("|")}> [args]`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, ["--expose-gc", path.join(dir, `${name}.mjs`), ...args], { stdio: "inherit" });
process.exit(r.status ?? 1);
