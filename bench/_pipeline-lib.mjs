// Shared by bench/pipeline.mjs and bench/duplicates.mjs: photos, staging into an inbox, apps and
// `booru run` processes, and waiting for the inbox to drain.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "..");

export function args() {
  const argv = process.argv.slice(2);
  const opt = (name, def) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
  const dir = argv[0] && !argv[0].startsWith("--") ? argv[0] : path.join(here, "photos");
  return { dir, opt };
}

/** Photos from the folder (bench/photos.sh builds it); unique by content, at most `limit`. */
export function loadPhotos(dir, limit) {
  if (!existsSync(dir) || readdirSync(dir).length === 0) {
    console.error(`no photos in ${dir}: build them with  bash bench/photos.sh`);
    process.exit(2);
  }
  const seen = new Set();
  const out = [];
  for (const name of readdirSync(dir).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort()) {
    const bytes = readFileSync(path.join(dir, name));
    const md5 = createHash("md5").update(bytes).digest("hex");
    if (seen.has(md5) || out.length >= limit) continue;
    seen.add(md5);
    out.push({ name, bytes, md5 });
  }
  return out;
}

export const mb = (photos) => photos.reduce((s, p) => s + p.bytes.length, 0) / 1e6;

/**
 * Writes the files to a staging folder beside the inbox with an old mtime (so the watcher does
 * not wait out the settle time), and returns a function that renames them all in at once.
 */
export function stage(inbox, files) {
  const staging = path.join(path.dirname(inbox), `staging-${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  const old = new Date(Date.now() - 3600_000);
  for (const f of files) {
    writeFileSync(path.join(staging, f.name), f.bytes);
    utimesSync(path.join(staging, f.name), old, old);
  }
  const go = () => {
    for (const f of files) renameSync(path.join(staging, f.name), path.join(inbox, f.name));
  };
  return Object.assign(go, { dir: staging });
}

export function countFiles(dir) {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

/** Resolves with the seconds from now until the inbox is empty and `done()` holds. */
export async function drain(inbox, done, timeoutMs = 600_000) {
  const t0 = performance.now();
  const end = Date.now() + timeoutMs;
  while (countFiles(inbox) > 0 || !done()) {
    if (Date.now() > end) throw new Error(`inbox not drained after ${timeoutMs} ms (${countFiles(inbox)} left)`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - t0) / 1000;
}

export function tempData(name) {
  const data = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
  mkdirSync(path.join(data, "inbox"), { recursive: true });
  return data;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitPort(port, proc, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} not open`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** NATS for the separate-process run: NATS_URL, or a nats-server -js of our own. */
export async function natsServer() {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} };
  if (spawnSync("which", ["nats-server"]).status !== 0) return undefined;
  const port = await freePort();
  const proc = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", mkdtempSync(path.join(tmpdir(), "bench-nats-"))], { stdio: "ignore" });
  await waitPort(port, proc);
  return { url: `nats://127.0.0.1:${port}`, stop: async () => void proc.kill("SIGTERM") };
}

/** `booru run --target=<target>`; with a port, resolves once it listens. */
export async function booruRun(target, env, port) {
  const proc = spawn(process.execPath, [path.join(root, "packages/cli/bin/booru.js"), "run", `--target=${target}`], {
    env: { ...process.env, ...env, ...(port ? { BOORU_LISTEN: `127.0.0.1:${port}` } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  proc.stdout.on("data", (b) => (log = (log + b).slice(-10_000)));
  proc.stderr.on("data", (b) => (log = (log + b).slice(-10_000)));
  if (port) await waitPort(port, proc);
  else {
    const end = Date.now() + 60_000;
    while (!log.includes('"msg":"ready"')) {
      if (proc.exitCode !== null || Date.now() > end) throw new Error(`${target} did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

export const rate = (n, s) => (n / s).toFixed(1);
