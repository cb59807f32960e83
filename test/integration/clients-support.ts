/** Shared by the tests of clients this project did not write (grpcurl, Python): a running booru with images in it. */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";
import { checkHealth } from "@booru/runtime";
import { isEmptyDir, libraryMd5s, md5, mongoUrl, natsUrl, noiseJpeg, startBooru, uniqueName, waitFor, type BooruProcess } from "../harness/index.js";

export interface Tokens {
  read: string;
  admin: string;
}

export interface Running {
  app: BooruProcess;
  data: string;
  inbox: string;
  /** md5 of every image ingested before the test started. */
  md5s: string[];
  tokens?: Tokens;
}

export interface RunOptions {
  /** embedded: in-process bus and SQLite; distributed: NATS JetStream and FerretDB from the harness. */
  mode: "embedded" | "distributed";
  tokens: boolean;
  images: number;
  command?: "up" | "run";
  target?: string;
}

/** Starts `booru up` (or `booru run --target=...`), drops `images` JPEGs and waits until all are filed. */
export async function runningBooru(opts: RunOptions): Promise<Running> {
  const data = mkdtempSync(path.join(os.tmpdir(), "booru-clients-"));
  const inbox = path.join(data, "inbox");
  await mkdir(inbox, { recursive: true });
  const env: Record<string, string> = { BOORU_DATA: data, BOORU_SETTLE_TIME: "300ms", BOORU_SHUTDOWN_TIMEOUT: "10s", ...modeEnv(opts.mode) };
  let tokens: Tokens | undefined;
  if (opts.tokens) {
    tokens = { read: randomBytes(16).toString("hex"), admin: randomBytes(16).toString("hex") };
    const file = path.join(data, "tokens");
    await writeFile(file, `${tokens.read} read tester\n${tokens.admin} admin pipeline\n`, { mode: 0o600 });
    // The process's own modules (dedup -> catalog) present the admin token.
    Object.assign(env, { BOORU_TOKENS_FILE: file, BOORU_TOKEN: tokens.admin });
  }
  const args = opts.command === "run" ? [`--target=${opts.target ?? "all"}`] : ["--data", data];
  const app = await startBooru(opts.command ?? "up", args, env);
  onTestFinished(async () => {
    app.kill("SIGTERM");
    await app.exited;
  });
  await waitFor("booru to be ready", async () => (await checkHealth(app.target, "")) === "SERVING", 60_000);
  const md5s = await dropImages(inbox, opts.images);
  if (md5s.length) {
    await waitFor("the images to be filed", async () => (await isEmptyDir(inbox)) && (await libraryMd5s(path.join(data, "library"))).length === md5s.length, 90_000);
  }
  return { app, data, inbox, md5s, tokens };
}

function modeEnv(mode: RunOptions["mode"]): Record<string, string> {
  if (mode === "embedded") return { NATS_URL: "", MONGO_URL: "" };
  return { NATS_URL: natsUrl(), BOORU_NATS_PREFIX: uniqueName("cl"), MONGO_URL: mongoUrl(), BOORU_MONGO_DB: uniqueName("cl") };
}

/** Writes n new JPEGs into a folder, each complete before it appears (rename); returns their md5s. */
export async function dropImages(folder: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = await noiseJpeg(96 + i, 64);
    const name = `${uniqueName("img")}.jpg`;
    const staged = path.join(path.dirname(folder), `.${name}`);
    await writeFile(staged, bytes);
    await rename(staged, path.join(folder, name));
    out.push(md5(bytes));
  }
  return out;
}

/** Whether a tool the tests need is missing: outside CI they skip (saying why); under CI=true they fail. */
export function requireTool(what: string, problem: string | undefined): boolean {
  if (!problem) return true;
  if (process.env.CI === "true") throw new Error(`${what} is required under CI: ${problem}`);
  process.stderr.write(`skipping the ${what} tests: ${problem}\n`);
  return false;
}
