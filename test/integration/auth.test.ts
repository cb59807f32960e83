/**
 * Issue 12, auth on every port, with real `booru` processes: tokens on must not break ingest
 * (modules in one process use an internal token), the hasher needs a token like the catalog,
 * and dedup finds a missing or under-scoped BOORU_TOKEN at start, not per file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { checkHealth } from "@booru/runtime";
import { freePort, isEmptyDir, libraryMd5s, md5, noiseJpeg, runBooru, startBooru, waitFor } from "../harness/index.js";

const root = mkdtempSync(path.join(os.tmpdir(), "booru-auth-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const TOKENS = { read: "read-token-0123456789", hash: "hash-token-0123456789", write: "write-token-0123456789" };
const tokensFile = path.join(root, "tokens");
writeFileSync(tokensFile, Object.entries(TOKENS).map(([scope, token]) => `${token} ${scope} ${scope}-user`).join("\n") + "\n");
const env = { NATS_URL: "", MONGO_URL: "", BOORU_SETTLE_TIME: "300ms", BOORU_SHUTDOWN_TIMEOUT: "5s" };

describe("tokens on", () => {
  it("booru up --tokens-file still ingests: its own modules need no user token", async () => {
    const data = path.join(root, "up");
    // Users' tokens only (no hash scope): dedup must not need any of them.
    const usersOnly = path.join(root, "tokens-users");
    writeFileSync(usersOnly, `${TOKENS.read} read viewer\n${TOKENS.write} write importer\n`);
    const app = await startBooru("up", ["--data", data, "--tokens-file", usersOnly], env);
    onTestFinished(() => app.kill("SIGKILL"));
    await waitFor("the banner", async () => app.output().includes("Press Ctrl-C"));
    const photo = await noiseJpeg(200, 150);
    await writeFile(path.join(data, "inbox", "photo.jpg"), photo);
    await waitFor("the inbox to empty", async () => isEmptyDir(path.join(data, "inbox")), 30_000);
    expect(await libraryMd5s(path.join(data, "library"))).toEqual([md5(photo)]);
    const stats = await runBooru(["stats", "--json"], { BOORU_SERVER: app.target, BOORU_TOKEN: TOKENS.read });
    expect(JSON.parse(stats.stdout)).toMatchObject({ images: 1, rejected: 0 });
    expect(app.output()).not.toMatch(/UNAUTHENTICATED|unknown token|missing bearer/);
  });

  it("the hasher beyond loopback answers health to anyone and Hash only with a hash (or write) token", async () => {
    const app = await startBooru("run", ["--target=hasher", "--data", path.join(root, "hasher"), "--tokens-file", tokensFile], env, { host: "0.0.0.0" });
    onTestFinished(() => app.kill("SIGKILL"));
    const target = `127.0.0.1:${app.grpcPort}`;
    await waitFor("SERVING", async () => (await checkHealth(target, "booru.hasher.v1.Hasher")) === "SERVING");
    const photo = path.join(root, "photo.jpg");
    writeFileSync(photo, await noiseJpeg());
    const hash = (token?: string) => runBooru(["hash", photo, "--server", target, "--json"], { BOORU_TOKEN: token ?? "" });
    const none = await hash();
    expect([none.code, none.stdout, none.stderr]).toEqual([5, "", "booru hash: not authenticated: missing bearer token (set --token or BOORU_TOKEN)\n"]);
    const read = await hash(TOKENS.read);
    expect([read.code, read.stderr]).toEqual([5, "booru hash: not allowed: token read-user lacks the hash scope\n"]);
    for (const token of [TOKENS.hash, TOKENS.write]) {
      const ok = await hash(token);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)[0]).toMatchObject({ file: photo, format: "jpeg" });
    }
  });
});

describe("dedup in its own process", () => {
  /** `--target=dedup` against the given hasher and catalog. */
  const dedupArgs = (peer: string, data: string) => ["--target=dedup", "--data", data, "--hasher-addr", peer, "--catalog-addr", peer];

  it("stops at start with one line when BOORU_TOKEN is missing or lacks a scope", async () => {
    const peers = await startBooru("run", ["--target=hasher,catalog", "--data", path.join(root, "peers"), "--tokens-file", tokensFile], env);
    onTestFinished(() => peers.kill("SIGKILL"));
    const args = ["run", ...dedupArgs(peers.target, path.join(root, "dedup")), "--listen", `127.0.0.1:${await freePort()}`, "--metrics-listen", `127.0.0.1:${await freePort()}`];
    const lastLine = (s: string) => s.trimEnd().split("\n").at(-1);

    const none = await runBooru(args, { ...env, BOORU_TOKEN: "" });
    expect([none.code, lastLine(none.stderr)]).toEqual([3, `booru run: the hasher at ${peers.target} refuses no token (BOORU_TOKEN is not set): missing bearer token; dedup needs a token with the hash scope there`]);
    const read = await runBooru(args, { ...env, BOORU_TOKEN: TOKENS.read });
    expect([read.code, lastLine(read.stderr)]).toEqual([3, `booru run: the hasher at ${peers.target} refuses the token in BOORU_TOKEN: token read-user lacks the hash scope; dedup needs a token with the hash scope there`]);
    const hashOnly = await runBooru(args, { ...env, BOORU_TOKEN: TOKENS.hash });
    expect([hashOnly.code, lastLine(hashOnly.stderr)]).toEqual([3, `booru run: the catalog at ${peers.target} refuses the token in BOORU_TOKEN: token hash-user lacks the write scope; dedup needs a token with the write scope there`]);
    for (const r of [none, read, hashOnly]) expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("waits for a hasher and catalog that are not up yet, then starts taking files", async () => {
    const peerPort = await freePort();
    const peer = `127.0.0.1:${peerPort}`;
    const dedup = await startBooru("run", dedupArgs(peer, path.join(root, "dedup-early")), { ...env, BOORU_TOKEN: TOKENS.write });
    onTestFinished(() => dedup.kill("SIGKILL"));
    await waitFor("the wait to be logged", async () => dedup.output().includes("cannot check dedup's tokens yet"));
    expect(await checkHealth(dedup.target, "dedup")).toBe("NOT_SERVING");
    const peers = await startBooru("run", ["--target=hasher,catalog", "--data", path.join(root, "peers-late"), "--tokens-file", tokensFile], env, { port: peerPort });
    onTestFinished(() => peers.kill("SIGKILL"));
    await waitFor("dedup to start consuming", async () => dedup.output().includes("dedup consuming"), 60_000);
    expect(await checkHealth(dedup.target, "dedup")).toBe("SERVING");
  });
});
