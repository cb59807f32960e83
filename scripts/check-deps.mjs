#!/usr/bin/env node
// The dependency policy (README "Dependencies"), checked by `npm run lint`:
// - every dependency of a workspace (what ships) is an exact version, no range: the build is the
//   one that was tested, whichever workspace brings a package in;
// - a package several workspaces depend on has the same version in each;
// - devDependencies live in the root package.json and may use ranges (the lock file pins them);
// - every `overrides` entry has its reason in README "Dependencies".
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (p) => JSON.parse(readFileSync(path.join(root, p), "utf8"));
const rootPkg = read("package.json");
const problems = [];
const versions = new Map();
for (const ws of rootPkg.workspaces) {
  const pkg = read(path.join(ws, "package.json"));
  for (const [name, version] of Object.entries(pkg.dependencies ?? {})) {
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) problems.push(`${ws}: ${name} ${version} is a range; pin it exactly (${version.replace(/^[\^~]/, "")})`);
    const seen = versions.get(name);
    if (seen && seen.version !== version) problems.push(`${name}: ${seen.ws} has ${seen.version}, ${ws} has ${version}; use one version`);
    versions.set(name, seen ?? { ws, version });
  }
  if (pkg.devDependencies) problems.push(`${ws}: devDependencies belong in the root package.json`);
}
const readme = readFileSync(path.join(root, "README.md"), "utf8");
for (const name of Object.keys(rootPkg.overrides ?? {})) {
  if (!new RegExp(`override[^\\n]*\`${name}\``, "i").test(readme)) problems.push(`overrides.${name} has no reason in README "Dependencies" (a line naming \`${name}\` as an override)`);
}
if (problems.length) {
  process.stderr.write(`dependency policy (README "Dependencies"):\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
  process.exit(1);
}
