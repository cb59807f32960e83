#!/usr/bin/env node
/**
 * Soak (benchmark, not CI): steady input through the distributed pipeline for a long time, with
 * RSS and event-loop delay of every service sampled from its /metrics
 * (process_resident_memory_bytes, nodejs_eventloop_lag_p99_seconds), and a verdict on whether
 * either trends upward.
 *
 *   npm run bench -- soak [--minutes 60] [--rate 5] [--interval 30] [--hashers 1] [--json out.json]
 *
 * Uses NATS_URL / MONGO_URL when set, otherwise starts nats-server and FerretDB (built by
 * scripts/build-ferretdb.sh) on free ports in temp folders.
 */
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { ferretStorage } from "../test/harness/ferret-backend.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    rate: { type: "string", default: "5" },
    interval: { type: "string" },
    hashers: { type: "string", default: "1" },
    json: { type: "string" },
  },
});
const minutes = Number(args.minutes);
const rate = Number(args.rate);
// About 40 samples per run, at least every 5 s and at most every 60 s.
const intervalS = Number(args.interval ?? Math.min(60, Math.max(5, Math.round((minutes * 60) / 40))));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
/** Deletes the data of the FerretDB this script started, if any. */
let dropFerret = () => {};

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, proc, name) {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
    const ok = await new Promise((r) => net.connect(port, "127.0.0.1").once("connect", function () { this.destroy(); r(true); }).once("error", () => r(false)));
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${name} not listening on ${port}`);
}

function launch(name, command, argv, env = process.env) {
  const proc = spawn(command, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  const tail = [];
  for (const s of [proc.stdout, proc.stderr]) s.on("data", (b) => tail.push(...b.toString().split("\n").filter(Boolean)) && tail.splice(0, Math.max(0, tail.length - 50)));
  children.push(proc);
  return Object.assign(proc, { tail, role: name });
}

async function servers(tmp) {
  let natsUrl = process.env.NATS_URL;
  let mongoUrl = process.env.MONGO_URL;
  if (!natsUrl) {
    const port = await freePort();
    const p = launch("nats", "nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", path.join(tmp, "nats")]);
    await waitForPort(port, p, "nats-server");
    natsUrl = `nats://127.0.0.1:${port}`;
  }
  if (!mongoUrl) {
    const bin = execFileSync("bash", [path.join(ROOT, "scripts/build-ferretdb.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    const port = await freePort();
    mkdirSync(path.join(tmp, "ferret"));
    const storage = ferretStorage(readFileSync(path.join(path.dirname(bin), "backend"), "utf8").trim(), path.join(tmp, "ferret"));
    dropFerret = storage.drop;
    console.log(`FerretDB backend: ${storage.backend}`);
    const p = launch("ferretdb", bin, ["--listen-addr", `127.0.0.1:${port}`, ...storage.args]);
    await waitForPort(port, p, "ferretdb");
    mongoUrl = `mongodb://127.0.0.1:${port}/`;
  }
  return { natsUrl, mongoUrl };
}

async function startPipeline(tmp, urls) {
  const roles = [...Array.from({ length: Number(args.hashers) }, (_, i) => `hasher-${i + 1}`), "catalog", "dedup", "watcher"];
  const ports = {};
  for (const r of roles) ports[r] = { grpc: await freePort(), metrics: await freePort() };
  const hashers = roles.filter((r) => r.startsWith("hasher"));
  const env = {
    ...process.env,
    NATS_URL: urls.natsUrl,
    MONGO_URL: urls.mongoUrl,
    BOORU_NATS_PREFIX: `soak${Date.now().toString(36)}`,
    BOORU_MONGO_DB: `soak${Date.now().toString(36)}`,
    BOORU_DATA: path.join(tmp, "data"),
    BOORU_HASHER_ADDR: `ipv4:${hashers.map((h) => `127.0.0.1:${ports[h].grpc}`).join(",")}`,
    BOORU_CATALOG_ADDR: `127.0.0.1:${ports.catalog.grpc}`,
    BOORU_SETTLE_TIME: "500ms",
    BOORU_LOG_LEVEL: "warn",
  };
  const procs = [];
  for (const role of roles) {
    const target = role.replace(/-\d+$/, "");
    const p = launch(role, process.execPath, [path.join(ROOT, "packages/cli/bin/booru.js"), "run", `--target=${target}`, "--listen", `127.0.0.1:${ports[role].grpc}`, "--metrics-listen", `127.0.0.1:${ports[role].metrics}`, "--web-listen", "127.0.0.1:0"], env);
    await waitForPort(ports[role].metrics, p, role);
    procs.push(Object.assign(p, { metricsPort: ports[role].metrics }));
  }
  return { procs, data: env.BOORU_DATA };
}

async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (name) => {
    let sum = 0;
    let found = false;
    for (const line of text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Number(line.slice(line.lastIndexOf(" ") + 1));
        found = true;
      }
    }
    return found ? sum : undefined;
  };
  return {
    rssMb: (get("process_resident_memory_bytes") ?? 0) / 2 ** 20,
    lagMs: (get("nodejs_eventloop_lag_p99_seconds") ?? get("nodejs_eventloop_lag_seconds") ?? 0) * 1000,
    ingested: get("booru_ingested_total") ?? 0,
    duplicates: get("booru_duplicates_disposed_total") ?? 0,
    rejected: get("booru_rejected_total") ?? 0,
  };
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

/**
 * Upward trend: after a warm-up (the first fifth), the fitted line rises by more than 10% of
 * the level (and more than `floor` in absolute terms) over the run, and the last third sits
 * above the first third by that much too. Either alone is noise: GC makes RSS saw-tooth.
 */
function trend(samples, key, floor) {
  const warm = samples.slice(Math.floor(samples.length / 5));
  if (warm.length < 6) return { verdict: "too few samples", first: 0, last: 0, risePerHour: 0 };
  const xs = warm.map((s) => s.t / 3600);
  const ys = warm.map((s) => s[key]);
  const perHour = slope(xs, ys);
  const rise = perHour * (xs[xs.length - 1] - xs[0]);
  const third = Math.floor(warm.length / 3);
  const first = mean(ys.slice(0, third));
  const last = mean(ys.slice(-third));
  const level = mean(ys);
  const limit = Math.max(floor, level * 0.1);
  const up = rise > limit && last - first > limit;
  return { verdict: up ? "UPWARD" : "flat", first: +first.toFixed(2), last: +last.toFixed(2), risePerHour: +perHour.toFixed(2) };
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "booru-soak-"));
  const cleanup = () => {
    for (const c of children.reverse()) if (c.exitCode === null) c.kill("SIGTERM");
  };
  process.on("SIGINT", () => (cleanup(), process.exit(130)));
  try {
    const urls = await servers(tmp);
    const { procs, data } = await startPipeline(tmp, urls);
    const inbox = path.join(data, "inbox");
    const staging = path.join(data, ".staging");
    mkdirSync(staging, { recursive: true });
    console.log(`soak: ${minutes} min at ${rate} files/s, sampling every ${intervalS} s; services: ${procs.map((p) => p.role).join(", ")}`);

    let dropped = 0;
    let last;
    const dropOne = async () => {
      // Every tenth file repeats the previous one, so the duplicate path is exercised too.
      const bytes = dropped % 10 === 9 && last ? last : await sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } } }).png().toBuffer();
      last = bytes;
      const name = `soak-${dropped++}.png`;
      writeFileSync(path.join(staging, name), bytes);
      renameSync(path.join(staging, name), path.join(inbox, name));
    };

    const samples = [];
    const t0 = Date.now();
    const end = t0 + minutes * 60_000;
    let nextSample = t0;
    let nextDrop = t0;
    const header = ["t(s)", ...procs.map((p) => `${p.role} MB/lag ms`), "dropped", "done"].join("\t");
    console.log(header);
    while (Date.now() < end) {
      const now = Date.now();
      if (now >= nextDrop) {
        await dropOne();
        nextDrop += 1000 / rate;
        continue;
      }
      if (now >= nextSample) {
        nextSample += intervalS * 1000;
        const t = (now - t0) / 1000;
        const row = { t, dropped };
        let done = 0;
        for (const p of procs) {
          if (p.exitCode !== null) throw new Error(`${p.role} exited (${p.exitCode}):\n${p.tail.join("\n")}`);
          const m = await scrape(p.metricsPort);
          row[p.role] = { rssMb: +m.rssMb.toFixed(1), lagMs: +m.lagMs.toFixed(2) };
          done += m.ingested + m.duplicates + m.rejected;
        }
        row.done = done;
        samples.push(row);
        console.log([t.toFixed(0), ...procs.map((p) => `${row[p.role].rssMb}/${row[p.role].lagMs}`), dropped, done].join("\t"));
        continue;
      }
      await sleep(Math.max(1, Math.min(nextDrop, nextSample) - now));
    }

    // Let the backlog drain, then check nothing went missing.
    const drainUntil = Date.now() + 120_000;
    let left = readdirSync(inbox).length;
    while (left > 0 && Date.now() < drainUntil) {
      await sleep(1000);
      left = readdirSync(inbox).length;
    }
    const report = { minutes, rate, intervalS, dropped, leftInInbox: left, services: {} };
    for (const p of procs) {
      const series = samples.map((s) => ({ t: s.t, ...s[p.role] }));
      report.services[p.role] = {
        peakRssMb: Math.max(...series.map((s) => s.rssMb)),
        maxLagMs: Math.max(...series.map((s) => s.lagMs)),
        rss: trend(series, "rssMb", 5),
        lag: trend(series, "lagMs", 5),
      };
    }
    console.log("\nservice\tpeak RSS MB\tRSS first->last third (MB)\tRSS slope MB/h\tRSS trend\tmax lag p99 ms\tlag trend");
    for (const [role, r] of Object.entries(report.services)) {
      console.log([role, r.peakRssMb, `${r.rss.first} -> ${r.rss.last}`, r.rss.risePerHour, r.rss.verdict, r.maxLagMs, r.lag.verdict].join("\t"));
    }
    console.log(`\ndropped ${dropped} files; ${left} left in the inbox after the drain`);
    if (args.json) writeFileSync(args.json, JSON.stringify({ report, samples }, null, 2));
    process.exitCode = left === 0 ? 0 : 1;
  } finally {
    cleanup();
    await sleep(1000);
    rmSync(tmp, { recursive: true, force: true });
    dropFerret();
  }
}

main().catch((err) => {
  console.error(`soak failed: ${err.stack ?? err}`);
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  process.exit(1);
});
