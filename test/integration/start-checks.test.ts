/**
 * Issue 12: what `booru up` / `booru run` refuse at start, as a user sees it: exit non-zero with
 * one line on stderr, before any banner or log line (so before anything binds or starts).
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, runBooru, startBooru, waitFor } from "../harness/index.js";

const root = mkdtempSync(path.join(os.tmpdir(), "booru-start-"));
// Reachable by the unprivileged user some tests run booru as.
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (...p: string[]) => path.join(root, ...p);
const ports = async () => ["--listen", `127.0.0.1:${await freePort()}`, "--metrics-listen", `127.0.0.1:${await freePort()}`, "--web-listen", "127.0.0.1:0"];
const env = { NATS_URL: "", MONGO_URL: "", BOORU_LOG_LEVEL: "info" };

/** Refused the way issue 12 asks: the exit code, one line on stderr, nothing on stdout. */
async function refused(args: string[], extraEnv: Record<string, string> = {}, as: { uid?: number; gid?: number } = {}) {
  const r = await runBooru([...args, ...(await ports())], { ...env, ...extraEnv }, 60_000, as);
  expect(r.stdout, "nothing may be logged or printed before the refusal").toBe("");
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  return { code: r.code, line: r.stderr.trimEnd() };
}

describe("folders that overlap", () => {
  it("refuses an inbox that is the data folder, exit 3, creating nothing", async () => {
    const data = dir("same");
    mkdirSync(data);
    expect(await refused(["up", "--data", data, "--inbox", data])).toEqual({
      code: 3,
      line: `booru up: the inbox ${data} contains the library ${data}/library: the watcher would take the pipeline's own files as new input; keep every inbox apart from the other folders (--inbox, --data, --library, --duplicates, --rejected, --sqlite)`,
    });
    expect(readdirSync(data)).toEqual([]);
  });

  it("refuses overlaps in any direction, through symlinks, and nested inboxes", async () => {
    mkdirSync(dir("store", "library"), { recursive: true });
    symlinkSync(dir("store", "library"), dir("drop-here"));
    const viaLink = await refused(["up", "--data", dir("d1"), "--inbox", dir("drop-here"), "--library", dir("store")]);
    expect(viaLink).toEqual({ code: 3, line: expect.stringContaining(`the inbox ${dir("drop-here")} is inside the library ${dir("store")}`) });
    const sqlite = await refused(["up", "--data", dir("d2"), "--inbox", dir("d3"), "--sqlite", dir("d3", "db", "booru.sqlite")]);
    expect(sqlite.line).toContain(`the inbox ${dir("d3")} contains the SQLite file ${dir("d3", "db", "booru.sqlite")}`);
    const nested = await refused(["up", "--data", dir("d4"), "--inbox", `${dir("a")},${dir("a", "b")}`]);
    expect(nested.line).toContain(`the inbox ${dir("a")} contains the inbox ${dir("a", "b")}`);
    const rejected = await refused(["run", "--target=watcher", "--data", dir("d5"), "--rejected", dir("d5", "inbox", "bad")]);
    expect(rejected.line).toContain(`the inbox ${dir("d5", "inbox")} contains the rejected folder`);
  });
});

describe("folders that cannot be used", () => {
  it("says --data is a file", async () => {
    writeFileSync(dir("a-file"), "");
    expect(await refused(["up", "--data", dir("a-file")])).toEqual({ code: 3, line: expect.stringMatching(new RegExp(`cannot be created: ${dir("a-file")} is a file, not a folder$`)) });
  });

  // Permissions as a user who lacks them: root reads and writes everything, so root runs booru as nobody.
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? { uid: 65534, gid: 65534 } : {};
  /** A data folder the user owns, with `locked` (relative) unreadable or unwritable for it. */
  function dataWith(name: string, locked: string, mode: "unreadable" | "unwritable"): string {
    const data = dir(name);
    for (const d of ["inbox", "library", "duplicates", "rejected"]) mkdirSync(path.join(data, d), { recursive: true });
    if (asRoot) for (const p of [data, ...readdirSync(data).map((d) => path.join(data, d))]) chownSync(p, 65534, 65534);
    if (asRoot) chownSync(path.join(data, locked), 0, 0);
    chmodSync(path.join(data, locked), mode === "unreadable" ? (asRoot ? 0o700 : 0o000) : 0o555);
    return data;
  }

  it("refuses an unreadable inbox and an unwritable library, naming them", async () => {
    const a = dataWith("perm-a", "inbox", "unreadable");
    expect(await refused(["up", "--data", a], {}, user)).toEqual({ code: 3, line: expect.stringMatching(new RegExp(`^booru up: the inbox ${a}/inbox is not readable by this user \\(uid \\d+\\)$`)) });
    const b = dataWith("perm-b", "library", "unwritable");
    expect(await refused(["up", "--data", b], {}, user)).toEqual({ code: 3, line: expect.stringMatching(new RegExp(`^booru up: the library ${b}/library is not writable by this user`)) });
    // The watcher only reads its inbox: a read-only inbox is fine for it, not for dedup.
    const c = dataWith("perm-c", "inbox", "unwritable");
    expect((await refused(["run", "--target=dedup", "--data", c], {}, user)).line).toMatch(/the inbox .* is not writable/);
  });

  it("creates only the folders of the modules it runs: a hasher alone creates none", async () => {
    const data = dir("hasher-only");
    const app = await startBooru("run", ["--target=hasher", "--data", data], env);
    await waitFor("ready", async () => app.output().includes('"msg":"ready"'));
    app.kill();
    await app.exited;
    expect(existsSync(data)).toBe(false);
  });
});

describe("ports and tokens", () => {
  it("refuses to serve beyond loopback without tokens before it binds or starts anything", async () => {
    const port = await freePort();
    const r = await runBooru(["run", "--target=hasher", "--listen", `0.0.0.0:${port}`, "--metrics-listen", `127.0.0.1:${await freePort()}`], env);
    expect([r.code, r.stdout]).toEqual([3, ""]);
    expect(r.stderr).toBe(`booru run: refusing to serve hasher on 0.0.0.0:${port} without tokens: anyone who can reach it could use it; set BOORU_TOKENS_FILE (--tokens-file) or listen on 127.0.0.1\n`);
  });

  it("says a port in use in plain words, gRPC or metrics", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const grpc = await runBooru(["up", "--data", dir("ports"), "--listen", `127.0.0.1:${port}`, "--metrics-listen", `127.0.0.1:${await freePort()}`, "--web-listen", "127.0.0.1:0"], env);
      expect([grpc.code, grpc.stdout, grpc.stderr]).toEqual([3, "", `booru up: cannot listen on 127.0.0.1:${port}: the address is in use (another booru running?); choose another with --listen (BOORU_LISTEN)\n`]);
      const metrics = await runBooru(["up", "--data", dir("ports"), "--listen", `127.0.0.1:${await freePort()}`, "--metrics-listen", `127.0.0.1:${port}`, "--web-listen", "127.0.0.1:0"], env);
      expect([metrics.code, metrics.stdout, metrics.stderr]).toEqual([3, "", `booru up: cannot listen on 127.0.0.1:${port}: the address is in use (another booru running?); choose another with --metrics-listen (BOORU_METRICS_LISTEN)\n`]);
    } finally {
      taken.close();
    }
  });

  it("says an empty tokens file is empty, and refuses one token on two lines", async () => {
    writeFileSync(dir("tokens-empty"), "# to do\n");
    expect(await refused(["up", "--data", dir("t"), "--tokens-file", dir("tokens-empty")])).toEqual({ code: 3, line: `booru up: BOORU_TOKENS_FILE ${dir("tokens-empty")} holds no token: add lines "<token of 16+ characters> <scope,scope> [name]"` });
    writeFileSync(dir("tokens-twice"), "same-token-0123456789 read viewer\nsame-token-0123456789 admin ops\n");
    expect(await refused(["up", "--data", dir("t"), "--tokens-file", dir("tokens-twice")])).toEqual({ code: 3, line: `booru up: ${dir("tokens-twice")}:2: the same token as line 1; give each token one line` });
  });
});

describe("booru up", () => {
  it("refuses --target and BOORU_TARGET instead of ignoring them (exit 2), and leaves them out of --help", async () => {
    expect(await refused(["up", "--target=hasher"])).toEqual({ code: 2, line: "booru up: --target \"hasher\" is not for up, which always runs every module; to run some of them use `booru run --target=hasher`" });
    expect(await refused(["up", "--target", "bogus"])).toEqual({ code: 2, line: expect.stringContaining('--target "bogus" is not for up') });
    expect(await refused(["up"], { BOORU_TARGET: "watcher" })).toEqual({ code: 2, line: expect.stringContaining('BOORU_TARGET "watcher" is not for up') });
    const help = await runBooru(["up", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).not.toContain("--target");
    expect(help.stdout).toMatch(/--duplicate-window .*default 20m\)/);
    expect(help.stdout).toMatch(/--metrics-listen .*HOST:PORT such as 127\.0\.0\.1:9464 or 0\.0\.0\.0:0; default 127\.0\.0\.1:9464\)/);
    expect(help.stdout).toMatch(/--hasher-max-bytes .*default 256MiB\)/);
  });

  it("banner and ready log say where it really listens and how the CLI finds it", async () => {
    writeFileSync(dir("tokens"), "read-token-0123456789 read viewer\n");
    const app = await startBooru("up", ["--data", dir("banner"), "--tokens-file", dir("tokens")], env, { host: "0.0.0.0" });
    try {
      await waitFor("the banner", async () => app.output().includes("Press Ctrl-C"));
      const out = app.output();
      expect(out).toContain(`  catalog API:      0.0.0.0:${app.grpcPort} (gRPC, tokens required)\n`);
      expect(out).toContain(`  web console:      ${app.webUrl}/ (log in with a token)\n`);
      expect(out).toContain(`  try:              BOORU_SERVER=127.0.0.1:${app.grpcPort} BOORU_TOKEN=<a token from the tokens file> npx booru stats\n`);
      expect(out).toMatch(new RegExp(`"grpc":"0\\.0\\.0\\.0:${app.grpcPort}".*"msg":"ready"`));
      const stats = await runBooru(["stats", "--json"], { BOORU_SERVER: `127.0.0.1:${app.grpcPort}`, BOORU_TOKEN: "read-token-0123456789" });
      expect(stats.code).toBe(0);
    } finally {
      app.kill();
      expect(await app.exited).toBe(0);
    }
  });
});
