import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_DIR } from "./render.js";

const dockerfile = readFileSync(path.join(REPO_DIR, "Dockerfile"), "utf8");
const dockerignore = readFileSync(path.join(REPO_DIR, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
const workspaces: string[] = JSON.parse(readFileSync(path.join(REPO_DIR, "package.json"), "utf8")).workspaces;

/** The lines of one stage, from its FROM to the next FROM. */
function stage(name: string): string {
  const parts = dockerfile.split(/^(?=FROM )/m);
  const found = parts.find((p) => new RegExp(`^FROM \\S+ AS ${name}\\b`, "m").test(p));
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

describe("Dockerfile", () => {
  it("installs every workspace's dependencies and ships its compiled dist/", () => {
    const runtime = stage("runtime");
    for (const ws of workspaces) {
      expect(stage("manifests"), ws).toContain(`COPY ${ws}/package.json ${ws}/`);
      expect(runtime, ws).toContain(`COPY --from=build /app/${ws}/dist ${ws}/dist`);
    }
  });

  it("ships the files the compiled code reads next to itself (new URL(\"../x\", import.meta.url))", () => {
    const runtime = stage("runtime");
    for (const ws of workspaces) {
      for (const file of sourceFiles(path.join(REPO_DIR, ws, "src"))) {
        for (const m of readFileSync(file, "utf8").matchAll(/new URL\("(\.\.\/[^"]+)", import\.meta\.url\)/g)) {
          // src/x.ts and dist/x.js sit at the same depth, so the path resolves the same from dist/.
          const rel = path.relative(REPO_DIR, path.resolve(path.dirname(file), m[1]!)).replace(/\/$/, "");
          if (rel.startsWith(`${ws}/src`)) continue;
          expect(runtime, `${file} reads ${rel}`).toMatch(new RegExp(`COPY --from=build /app/${rel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`));
        }
      }
    }
    expect(runtime).toContain("COPY --from=build /app/packages/cli/bin packages/cli/bin");
  });

  it("runs production dependencies only, as a numeric non-root user, under tini, on Node 20 slim", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(stage("deps")).toMatch(/npm ci --omit=dev/);
    expect(stage("runtime")).toContain("COPY --from=deps /app /app");
    expect(stage("runtime")).not.toMatch(/COPY --from=build \/app\/node_modules/);
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(stage("runtime"));
    expect(user).not.toBeNull();
    expect(Number(user![1])).toBeGreaterThan(0);
    expect(stage("runtime")).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "packages\/cli\/bin\/booru.js"\]$/m);
  });

  it("has Debian's ffmpeg and ffprobe in the runtime image (videos, APNG, BMP, JPEG XL), from apt, not a downloaded binary", () => {
    const runtime = stage("runtime");
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends [^\n]*\bffmpeg\b/);
    expect(runtime).not.toMatch(/\b(curl|wget|ADD https?:)/);
  });

  it("keeps node_modules, build output and the git history out of the build context", () => {
    for (const pattern of ["**/node_modules", "**/dist", ".git", "**/*.tsbuildinfo"]) expect(dockerignore).toContain(pattern);
    // ...but not what the build needs.
    for (const needed of ["package-lock.json", "packages", "services", "tsconfig.base.json"]) expect(dockerignore).not.toContain(needed);
  });
});
